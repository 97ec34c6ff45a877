"""The blob store: opened from the settings (app, CLI), and its presigned download URLs served (the local
store's; S3 servers serve their own)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from core.web.security import declare_no_store
from storage.deps import blob_store_of

router = APIRouter(tags=["storage"], include_in_schema=False)
declare_no_store("/blobs")  # presigned downloads of licenses and results


@router.get("/blobs/{key}")
def download(key: str, expires: str, sig: str, request: Request) -> StreamingResponse:
    """Stream a blob to whoever holds a valid, unexpired presigned URL."""
    store = blob_store_of(request)
    verify = getattr(store, "verify_presigned", None)
    if verify is None or not verify(key, expires, sig):
        raise HTTPException(status_code=403, detail="link expired or invalid")
    reader = store.open(key)
    return StreamingResponse(reader.chunks(), media_type="application/octet-stream",
                             headers={"Cache-Control": "no-store"})
