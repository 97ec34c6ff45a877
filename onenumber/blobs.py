"""The blob store: opened from the settings (app, CLI), and its presigned download URLs served (the local
store's; S3 servers serve their own)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from core.crypto import blind_index
from core.settings import Settings
from core.web.security import declare_no_store
from storage import open_store

router = APIRouter(tags=["storage"], include_in_schema=False)
declare_no_store("/blobs")  # presigned downloads of licenses and results


def open_blob_store(settings: Settings) -> Any:
    """The blob store named by ``ONENUMBER_STORAGE_URL``."""
    presign_secret = blind_index("presign", master_key=settings.secret_key, context="storage.presign")
    return open_store(settings.storage_url, access_key=settings.s3_access_key,
                      secret_key=settings.s3_secret_key, presign_secret=presign_secret)


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
