"""The `BlobStore` protocol every backend implements, and the value objects it returns."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol, runtime_checkable

from storage.errors import BlobCorrupted, InvalidKey

DEFAULT_CONTENT_TYPE = "application/octet-stream"
CHUNK_SIZE = 1024 * 1024
_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobInfo:
    """What the store knows about one blob; ``content_type`` is None in listings (S3 lists omit it)."""

    key: str
    size: int
    sha256: str
    content_type: str | None
    modified_at: datetime


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed blob storage: the key of a blob is the hex SHA-256 of its bytes."""

    def put(self, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> BlobInfo:
        """Store ``data`` (idempotent: the same bytes give the same key)."""
        ...

    def put_stream(
        self, stream: BinaryIO, size: int, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store exactly ``size`` bytes read from ``stream``."""
        ...

    def get(self, key: str) -> bytes:
        """Return the blob's bytes after checking they still hash to ``key``."""
        ...

    def open(self, key: str) -> BlobReader:
        """Return a streaming reader that checks the SHA-256 when it reaches the end."""
        ...

    def stat(self, key: str) -> BlobInfo:
        """Return the blob's metadata without reading its bytes."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """True when a blob is stored under ``key``."""
        ...

    def list(self) -> Iterator[BlobInfo]:
        """Yield every stored blob (content_type None), in no particular order."""
        ...

    def presign(self, key: str, expires: timedelta) -> str:
        """Return a download URL for the blob that stops working after ``expires``."""
        ...

    def ping(self) -> None:
        """Raise StorageUnavailable when the store cannot be reached."""
        ...


def check_key(key: str) -> str:
    """Return ``key`` if it is a lowercase hex SHA-256 digest, else raise InvalidKey."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidKey(str(key))
    return key


def is_key(name: str) -> bool:
    """True when ``name`` looks like a blob key."""
    return _KEY.fullmatch(name) is not None


class BlobReader(io.RawIOBase):
    """A read-only stream over one blob that raises BlobCorrupted at the end if the SHA-256 differs."""

    def __init__(
        self,
        key: str,
        size: int,
        readinto: Callable[[memoryview], int],
        close: Callable[[], None],
    ) -> None:
        super().__init__()
        self.key = key
        self.size = size
        self._readinto = readinto
        self._close = close
        self._hash = hashlib.sha256()
        self._done = False

    def readable(self) -> bool:
        """Always True."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` with the next bytes; 0 at the end, after the checksum matched."""
        view = memoryview(buffer).cast("B")
        if self._done or len(view) == 0:
            return 0
        n = self._readinto(view)  # the backend translates its own errors into StorageError
        if n:
            self._hash.update(view[:n])
            return n
        self._done = True
        actual = self._hash.hexdigest()
        if actual != self.key:
            raise BlobCorrupted(self.key, actual)
        return 0

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the blob in chunks of at most ``size`` bytes (for streaming responses)."""
        while chunk := self.read(size):
            yield chunk

    def close(self) -> None:
        """Release the underlying file or connection."""
        if not self.closed:
            try:
                self._close()
            finally:
                super().close()
