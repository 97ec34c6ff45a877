"""Errors of `storage`: each carries its wire code and HTTP status."""

from __future__ import annotations

from core.wire import WireError


class StorageError(WireError):
    """Base error of `storage`; rendered as ``{"error": code, "detail": message, "field": field}``
    (constructor and wire shape: :class:`core.wire.WireError`)."""

    code = "storage_error"
    status_code = 500


class BlobNotFound(StorageError):
    """No blob is stored under this key."""

    code = "blob_not_found"
    status_code = 404

    def __init__(self, key: str) -> None:
        super().__init__(f"no blob with key {key}", field="key")
        self.key = key


class BlobCorrupted(StorageError):
    """The stored bytes no longer hash to the blob's key."""

    code = "blob_corrupted"
    status_code = 500

    def __init__(self, key: str, actual: str) -> None:
        super().__init__(f"blob {key} is corrupted: its content hashes to {actual}")
        self.key = key
        self.actual = actual


class StorageUnavailable(StorageError):
    """The blob store cannot be reached or refuses us; the message names the endpoint."""

    code = "storage_unavailable"
    status_code = 503
    headers = {"Retry-After": "10"}  # an outage: clients may try again shortly

    def __init__(self, message: str, *, endpoint: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class InvalidKey(StorageError):
    """A key is not a lowercase hex SHA-256 digest."""

    code = "invalid_blob_key"
    status_code = 400

    def __init__(self, key: str) -> None:
        super().__init__(f"blob key must be 64 lowercase hex characters, got {key[:80]!r}", field="key")


class SizeMismatch(StorageError):
    """A stream delivered a different number of bytes than announced."""

    code = "blob_size_mismatch"
    status_code = 400

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"stream announced {expected} bytes but delivered {actual}", field="size")
