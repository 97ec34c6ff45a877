"""`LocalBlobStore`: blobs as files under a directory, written crash-safely (temp + fsync + rename)."""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import hmac
import math
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.api import CHUNK_SIZE, DEFAULT_CONTENT_TYPE, BlobInfo, BlobReader, check_key, is_key
from storage.errors import BlobCorrupted, BlobNotFound, SizeMismatch, StorageError, StorageUnavailable

TEMP_PREFIX = ".tmp-"
META_SUFFIX = ".type"
MAX_PRESIGN = timedelta(days=7)


def check_expiry(expires: timedelta) -> None:
    """Raise StorageError unless ``expires`` lies between one second and seven days (the S3 limits)."""
    if not timedelta(seconds=1) <= expires <= MAX_PRESIGN:
        raise StorageError(
            f"presigned URL expiry must be between 1 second and 7 days, got {expires}",
            field="expires",
            code="invalid_expiry",
            status_code=400,
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs in ``root/ab/cd/<sha256>``, with the content type in a ``<sha256>.type`` sidecar."""

    def __init__(
        self, root: Path | str, *, secret: bytes | str | None = None, url_prefix: str = "/blobs"
    ) -> None:
        self.root = Path(root)
        if isinstance(secret, str):
            secret = secret.encode()
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self.url_prefix = url_prefix.rstrip("/")
        with self._os_errors():
            self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # -- writing -------------------------------------------------------------------------------

    def put(self, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> BlobInfo:
        """Store ``data`` (idempotent: the same bytes give the same key)."""
        key = hashlib.sha256(data).hexdigest()
        with self._os_errors():
            shard = self._shard(key, create=True)
            tmp, _, _ = self._write_temp(shard, [memoryview(data)], hashed=False)  # key already known
            return self._commit(tmp, key, content_type)

    def put_stream(
        self, stream: BinaryIO, size: int, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store exactly ``size`` bytes read from ``stream``."""
        if size < 0:
            raise SizeMismatch(size, 0)
        with self._os_errors():
            # The key is only known at the end, so the temp file lives in the root (same filesystem).
            tmp, key, written = self._write_temp(self.root, _read_exactly(stream, size))
            if written != size:
                tmp.unlink(missing_ok=True)
                raise SizeMismatch(size, written)
            self._shard(key, create=True)
            return self._commit(tmp, key, content_type)

    def _write_temp(
        self,
        directory: Path,
        chunks: Iterable[bytes | memoryview],
        *,
        durable: bool = True,
        hashed: bool = True,
    ) -> tuple[Path, str, int]:
        """Write ``chunks`` to a temp file in ``directory``; return it, its hash (when asked) and its size."""
        tmp = directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        digest = hashlib.sha256() if hashed else None
        written = 0
        try:
            with open(tmp, "xb", buffering=0) as f:
                for chunk in chunks:
                    if digest is not None:
                        digest.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        n = f.write(view)
                        view = view[n:]
                        written += n
                if durable:
                    os.fsync(f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest() if digest is not None else "", written

    def _commit(self, tmp: Path, key: str, content_type: str) -> BlobInfo:
        """Atomically publish ``tmp`` as blob ``key``: sidecar first, then the blob, then fsync the dir."""
        path = self._path(key)
        try:
            # The sidecar skips its own fsync: after a crash it can at worst read back empty, which stat()
            # reports as the default content type; the blob's bytes are always durable before it shows.
            meta_tmp, _, _ = self._write_temp(
                path.parent, [content_type.encode()], durable=False, hashed=False
            )
            try:
                os.replace(meta_tmp, path.with_name(key + META_SUFFIX))
            except BaseException:
                meta_tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        if tmp.parent != path.parent:
            _fsync_dir(tmp.parent)
        st = path.stat()
        return BlobInfo(key, st.st_size, key, content_type, datetime.fromtimestamp(st.st_mtime, UTC))

    # -- reading -------------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        """Return the blob's bytes after checking they still hash to ``key``."""
        path = self._path(check_key(key))
        with self._os_errors(key):
            data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != key:
            raise BlobCorrupted(key, actual)
        return data

    def open(self, key: str) -> BlobReader:
        """Return a streaming reader that checks the SHA-256 when it reaches the end."""
        path = self._path(check_key(key))
        with self._os_errors(key):
            f = open(path, "rb", buffering=0)
            size = os.fstat(f.fileno()).st_size

        def readinto(view: memoryview) -> int:
            with self._os_errors(key):
                return f.readinto(view) or 0

        return BlobReader(key, size, readinto, f.close)

    def stat(self, key: str) -> BlobInfo:
        """Return the blob's metadata without reading its bytes."""
        path = self._path(check_key(key))
        with self._os_errors(key):
            st = path.stat()
        try:
            content_type = path.with_name(key + META_SUFFIX).read_text() or DEFAULT_CONTENT_TYPE
        except FileNotFoundError:
            content_type = DEFAULT_CONTENT_TYPE
        except OSError as exc:
            raise self._unavailable(exc) from exc
        return BlobInfo(key, st.st_size, key, content_type, datetime.fromtimestamp(st.st_mtime, UTC))

    def exists(self, key: str) -> bool:
        """True when a blob is stored under ``key``."""
        return self._path(check_key(key)).is_file()

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        path = self._path(check_key(key))
        with self._os_errors():
            path.unlink(missing_ok=True)
            path.with_name(key + META_SUFFIX).unlink(missing_ok=True)

    def list(self) -> Iterator[BlobInfo]:
        """Yield every stored blob (content_type None); temp files of interrupted writes are skipped."""
        with self._os_errors():
            for path in self._blob_paths():
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue  # deleted while listing
                yield BlobInfo(
                    path.name, st.st_size, path.name, None, datetime.fromtimestamp(st.st_mtime, UTC)
                )

    def _blob_paths(self) -> Iterator[Path]:
        for first in _subdirs(self.root):
            for second in _subdirs(first):
                prefix = first.name + second.name
                for entry in os.scandir(second):
                    if is_key(entry.name) and entry.name.startswith(prefix) and entry.is_file():
                        yield Path(entry.path)

    # -- maintenance ---------------------------------------------------------------------------

    def sweep_temporary(self, older_than: timedelta) -> builtins.list[Path]:
        """Remove temp files of interrupted writes (and sidecars without a blob) older than ``older_than``."""
        cutoff = time.time() - older_than.total_seconds()
        removed: builtins.list[Path] = []
        with self._os_errors():
            dirs = [self.root] + [d for first in _subdirs(self.root) for d in [first, *_subdirs(first)]]
            for directory in dirs:
                for entry in os.scandir(directory):
                    name = entry.name
                    orphan_meta = name.endswith(META_SUFFIX) and not os.path.exists(
                        entry.path[: -len(META_SUFFIX)]
                    )
                    if not (name.startswith(TEMP_PREFIX) or orphan_meta) or not entry.is_file():
                        continue
                    try:
                        if entry.stat().st_mtime < cutoff:
                            os.unlink(entry.path)
                            removed.append(Path(entry.path))
                    except FileNotFoundError:
                        continue
        return removed

    def ping(self) -> None:
        """Raise StorageUnavailable unless the root directory exists and is writable."""
        if not (self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)):
            raise StorageUnavailable(
                f"local blob store {self.root} is missing or not writable", endpoint=str(self.root)
            )

    # -- presigned URLs ------------------------------------------------------------------------

    def presign(self, key: str, expires: timedelta) -> str:
        """Return ``{url_prefix}/{key}?expires=<unix time>&sig=<HMAC-SHA256>``, valid for ``expires``."""
        check_key(key)
        check_expiry(expires)
        deadline = math.ceil(time.time() + expires.total_seconds())
        return f"{self.url_prefix}/{key}?expires={deadline}&sig={self._sign(key, deadline)}"

    def verify_presigned(self, key: str, expires: int | str, sig: str, *, now: float | None = None) -> bool:
        """True when ``sig`` was made by :meth:`presign` for ``key`` and ``expires`` has not passed."""
        try:
            deadline = int(expires)
        except (TypeError, ValueError):
            return False
        if not isinstance(key, str) or not is_key(key) or not isinstance(sig, str) or not sig.isascii():
            return False  # a non-ASCII sig is not ours (and compare_digest would raise on it)
        if deadline < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._sign(key, deadline), sig)

    def _sign(self, key: str, deadline: int) -> str:
        return hmac.new(self._secret, f"blob:{key}:{deadline}".encode(), hashlib.sha256).hexdigest()

    # -- helpers -------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    def _shard(self, key: str, *, create: bool) -> Path:
        shard = self.root / key[:2] / key[2:4]
        if create and not shard.is_dir():
            shard.mkdir(parents=True, exist_ok=True)
            # Make the new directory entries durable, or a crash could lose a blob we reported stored.
            _fsync_dir(shard.parent)
            _fsync_dir(self.root)
        return shard

    def _unavailable(self, exc: OSError) -> StorageUnavailable:
        return StorageUnavailable(
            f"local blob store {self.root}: {exc.strerror or exc}", endpoint=str(self.root)
        )

    @contextlib.contextmanager
    def _os_errors(self, key: str | None = None) -> Iterator[None]:
        """Translate OS errors: a missing file is BlobNotFound, anything else StorageUnavailable."""
        try:
            yield
        except FileNotFoundError as exc:
            if key is None:
                raise self._unavailable(exc) from exc
            raise BlobNotFound(key) from None
        except IsADirectoryError as exc:
            raise BlobNotFound(key or "?") from exc
        except OSError as exc:
            raise self._unavailable(exc) from exc


def _subdirs(path: Path) -> list[Path]:
    """Two-hex-character shard directories directly under ``path``."""
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return []
    return [
        Path(e.path)
        for e in entries
        if len(e.name) == 2 and all(c in "0123456789abcdef" for c in e.name) and e.is_dir()
    ]


def _read_exactly(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """Yield chunks from ``stream`` until ``size`` bytes were read or it ends early."""
    left = size
    while left > 0:
        try:
            chunk = stream.read(min(CHUNK_SIZE, left))
        except OSError as exc:
            raise StorageError(f"could not read the upload stream: {exc}", field="stream") from exc
        if not chunk:
            return
        left -= len(chunk)
        yield chunk
