"""Serves presigned download URLs of the local blob store (S3 servers serve their own)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

router = APIRouter(tags=["storage"], include_in_schema=False)


@router.get("/blobs/{key}")
def download(key: str, expires: str, sig: str, request: Request) -> StreamingResponse:
    """Stream a blob to whoever holds a valid, unexpired presigned URL."""
    store = request.app.state.blob_store
    verify = getattr(store, "verify_presigned", None)
    if verify is None or not verify(key, expires, sig):
        raise HTTPException(status_code=403, detail="link expired or invalid")
    reader = store.open(key)
    return StreamingResponse(reader.chunks(), media_type="application/octet-stream",
                             headers={"Cache-Control": "no-store"})
