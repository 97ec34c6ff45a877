"""The app's blob store: opened from the settings once per runtime, and the request dependency for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from core.crypto import blind_index
from core.runtime import Runtime, Slot, runtime_of
from core.settings import Settings
from storage import open_store
from storage.api import BlobStore


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store named by ``ONENUMBER_STORAGE_URL`` (its presigned URLs keyed from the master key)."""
    presign_secret = blind_index("presign", master_key=settings.secret_key, context="storage.presign")
    store: BlobStore = open_store(settings.storage_url, access_key=settings.s3_access_key,
                                  secret_key=settings.s3_secret_key, presign_secret=presign_secret)
    return store


def _open(runtime: Runtime) -> BlobStore:
    return open_blob_store(runtime.settings)


BLOB_STORE: Slot[BlobStore] = Slot("storage.blob_store", _open)


def blob_store_of(connection: HTTPConnection) -> BlobStore:
    """The configured blob store (local directory or S3) of the request's app."""
    return runtime_of(connection).get(BLOB_STORE)


BlobStoreDep = Annotated[BlobStore, Depends(blob_store_of)]
