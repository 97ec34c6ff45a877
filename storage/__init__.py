"""Blob storage: content-addressed by SHA-256, integrity re-checked on every read.

`open_store(url)` picks the backend from ``ONENUMBER_STORAGE_URL``: ``file:///path`` for a local
directory, ``s3://bucket?endpoint=host:port&secure=false`` for an S3 server (MinIO, SeaweedFS, AWS).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from storage.api import DEFAULT_CONTENT_TYPE, BlobInfo, BlobReader, BlobStore
from storage.errors import (
    BlobCorrupted,
    BlobNotFound,
    InvalidKey,
    SizeMismatch,
    StorageError,
    StorageUnavailable,
)
from storage.gc import collect_garbage
from storage.local import LocalBlobStore
from storage.s3 import S3BlobStore

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "BlobCorrupted",
    "BlobInfo",
    "BlobNotFound",
    "BlobReader",
    "BlobStore",
    "InvalidKey",
    "LocalBlobStore",
    "S3BlobStore",
    "SizeMismatch",
    "StorageError",
    "StorageUnavailable",
    "collect_garbage",
    "open_store",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bad_url(url: str, why: str) -> StorageError:
    return StorageError(
        f"ONENUMBER_STORAGE_URL {url!r} is invalid: {why} "
        "(expected file:///path or s3://bucket?endpoint=host:port&secure=false)",
        field="ONENUMBER_STORAGE_URL",
        code="invalid_storage_url",
    )


def open_store(
    url: str, *, access_key: str, secret_key: str, presign_secret: bytes | str | None = None
) -> BlobStore:
    """Return the blob store named by ``url`` (the value of ``ONENUMBER_STORAGE_URL``)."""
    parts = urlsplit(url or "")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise _bad_url(url, "a file URL needs an absolute path and no host, like file:///var/blobs")
        return LocalBlobStore(Path(unquote(parts.path)), secret=presign_secret)
    if parts.scheme == "s3":
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = set(query) - {"endpoint", "secure", "region"}
        if unknown:
            raise _bad_url(url, f"unknown parameter(s) {', '.join(sorted(unknown))}")
        bucket = parts.netloc
        endpoint = query.get("endpoint", "")
        if not bucket or parts.path not in ("", "/"):
            raise _bad_url(url, "the bucket goes in the host part, like s3://onenumber?endpoint=…")
        if not endpoint or "/" in endpoint:
            raise _bad_url(url, "endpoint=host:port is required")
        secure_text = query.get("secure", "false").lower()
        if secure_text not in _TRUE | _FALSE:
            raise _bad_url(url, f"secure must be true or false, not {secure_text!r}")
        try:
            return S3BlobStore(
                endpoint=endpoint,
                bucket=bucket,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure_text in _TRUE,
                region=query.get("region") or None,
            )
        except StorageError as exc:
            raise _bad_url(url, str(exc)) from exc
    raise _bad_url(url, f"unsupported scheme {parts.scheme!r}" if parts.scheme else "no scheme")
