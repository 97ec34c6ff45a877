"""`S3BlobStore`: blobs as objects in one S3 bucket (MinIO, SeaweedFS, AWS) through the `minio` SDK."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from urllib3.util import Retry, Timeout

from storage.api import CHUNK_SIZE, DEFAULT_CONTENT_TYPE, BlobInfo, BlobReader, check_key, is_key
from storage.errors import BlobCorrupted, BlobNotFound, SizeMismatch, StorageError, StorageUnavailable
from storage.local import check_expiry

PART_SIZE = 8 * 1024 * 1024  # measured on SeaweedFS: 5-10 MiB parts beat 16 MiB (bench/storage_bench.py)
SPOOL_IN_MEMORY = 16 * 1024 * 1024
_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"}
_REFUSED = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken"}
_BUSY = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "ServerBusy"}
_BUCKET = re.compile(r"(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}


def _http_client(connect_timeout: float, read_timeout: float) -> urllib3.PoolManager:
    """A pool that gives up on a dead server within seconds (minio's default waits minutes)."""
    return urllib3.PoolManager(
        timeout=Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=10,
        retries=Retry(total=2, connect=2, read=1, backoff_factor=0.1, status_forcelist=[502, 503, 504]),
    )


class S3BlobStore:
    """Blobs as objects named by their SHA-256 in ``bucket``; the bucket is created on first write."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        secure: bool = False,
        region: str | None = None,
        *,
        part_size: int = PART_SIZE,
        connect_timeout: float = 2.0,
        read_timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.part_size = part_size
        self.url = f"{'https' if secure else 'http'}://{endpoint}"
        if not _BUCKET.fullmatch(bucket or "") or re.fullmatch(r"[0-9.]+", bucket):
            raise StorageError(
                f"invalid S3 bucket name {bucket!r}: 3-63 of a-z 0-9 . -, starting and ending alphanumeric",
                field="bucket",
            )
        try:
            self._client = Minio(
                endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure,
                region=region,
                http_client=_http_client(connect_timeout, read_timeout),
            )
        except ValueError as exc:
            raise StorageError(
                f"invalid S3 configuration for {self.url}/{bucket}: {exc}", field="endpoint"
            ) from exc
        self._bucket_ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3BlobStore({self.url!r}, bucket={self.bucket!r})"

    # -- writing -------------------------------------------------------------------------------

    def put(self, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> BlobInfo:
        """Store ``data`` (idempotent: the same bytes give the same key)."""
        key = hashlib.sha256(data).hexdigest()
        return self._upload(key, io.BytesIO(data), len(data), content_type)

    def put_stream(
        self, stream: BinaryIO, size: int, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> BlobInfo:
        """Store exactly ``size`` bytes read from ``stream`` (hashed first: the key names the object)."""
        if size < 0:
            raise SizeMismatch(size, 0)
        try:
            seekable = stream.seekable()
        except (AttributeError, OSError, ValueError):
            seekable = False
        if seekable:
            # Hash in place, then rewind and upload straight from the caller's stream: no copy.
            start = stream.tell()
            key, read = _hash_stream(stream, size, None)
            if read != size:
                raise SizeMismatch(size, read)
            stream.seek(start)
            return self._upload(key, stream, size, content_type)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            key, read = _hash_stream(stream, size, spool)  # type: ignore[arg-type]
            if read != size:
                raise SizeMismatch(size, read)
            spool.seek(0)
            return self._upload(key, spool, size, content_type)  # type: ignore[arg-type]

    def _upload(self, key: str, stream: BinaryIO, size: int, content_type: str) -> BlobInfo:
        self._ensure_bucket()
        start = stream.tell() if stream.seekable() else None
        for attempt in (1, 2):
            try:
                with self._errors(key):
                    self._client.put_object(
                        self.bucket,
                        key,
                        stream,
                        size,
                        content_type=content_type or DEFAULT_CONTENT_TYPE,
                        part_size=self.part_size,
                    )
                break
            except BlobNotFound:
                if attempt == 2 or start is None:  # NoSuchBucket on a write: the bucket went away
                    raise
                self._bucket_ready = False
                self._ensure_bucket()
                stream.seek(start)
        return BlobInfo(key, size, key, content_type, datetime.now(UTC))

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._lock, self._errors():
            if self._bucket_ready:
                return
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in _BUCKET_EXISTS:  # another process won the race: fine
                        raise
            self._bucket_ready = True

    # -- reading -------------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        """Return the blob's bytes after checking they still hash to ``key``."""
        check_key(key)
        with self._errors(key):
            response = self._client.get_object(self.bucket, key)
            try:
                data = response.read()
            finally:
                response.close()
                response.release_conn()
        actual = hashlib.sha256(data).hexdigest()
        if actual != key:
            raise BlobCorrupted(key, actual)
        return data

    def open(self, key: str) -> BlobReader:
        """Return a streaming reader that checks the SHA-256 when it reaches the end."""
        check_key(key)
        with self._errors(key):
            response = self._client.get_object(self.bucket, key)
        size = int(response.headers.get("Content-Length", "0") or 0)

        def readinto(view: memoryview) -> int:
            with self._errors(key):
                return response.readinto(view)

        def close() -> None:
            response.close()
            response.release_conn()

        return BlobReader(key, size, readinto, close)

    def stat(self, key: str) -> BlobInfo:
        """Return the blob's metadata without reading its bytes."""
        check_key(key)
        with self._errors(key):
            obj = self._client.stat_object(self.bucket, key)
        return BlobInfo(
            key, int(obj.size or 0), key, obj.content_type or DEFAULT_CONTENT_TYPE, _aware(obj.last_modified)
        )

    def exists(self, key: str) -> bool:
        """True when a blob is stored under ``key``."""
        try:
            self.stat(key)
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        check_key(key)
        try:
            with self._errors(key):
                self._client.remove_object(self.bucket, key)
        except BlobNotFound:
            return

    def list(self) -> Iterator[BlobInfo]:
        """Yield every stored blob (content_type None: S3 listings do not carry it)."""
        try:
            with self._errors(""):
                for obj in self._client.list_objects(self.bucket, recursive=True):
                    name = obj.object_name or ""
                    if is_key(name):
                        yield BlobInfo(name, int(obj.size or 0), name, None, _aware(obj.last_modified))
        except BlobNotFound:
            return  # no bucket yet: no blobs

    def presign(self, key: str, expires: timedelta) -> str:
        """Return a presigned GET URL for the blob, valid for ``expires`` (1 second to 7 days)."""
        check_key(key)
        check_expiry(expires)
        with self._errors(key):
            return self._client.presigned_get_object(self.bucket, key, expires=expires)

    def ping(self) -> None:
        """Raise StorageUnavailable unless the server answers and accepts our credentials."""
        with self._errors():
            self._client.bucket_exists(self.bucket)

    # -- errors --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """Translate minio/urllib3/OS errors into StorageError subclasses naming the endpoint."""
        where = f"S3 server {self.url} (bucket {self.bucket})"
        try:
            yield
        except S3Error as exc:
            if exc.code in _NOT_FOUND and key is not None:
                raise BlobNotFound(key) from None
            if exc.code in _BUSY:
                raise StorageUnavailable(f"{where} is not ready: {exc.code}", endpoint=self.url) from exc
            if exc.code in _REFUSED:
                raise StorageUnavailable(
                    f"{where} refused our credentials: {exc.code}", endpoint=self.url
                ) from exc
            raise StorageError(f"{where} failed: {exc.code}: {exc.message}", status_code=502) from exc
        except (ServerError, InvalidResponseError) as exc:
            raise StorageUnavailable(f"{where} answered with an error: {exc}", endpoint=self.url) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(
                f"{where} is unreachable: {type(exc).__name__}", endpoint=self.url
            ) from exc
        except MinioException as exc:
            raise StorageError(f"{where} failed: {exc}", status_code=502) from exc
        except ValueError as exc:
            raise StorageError(f"{where} rejected the request: {exc}") from exc


def _hash_stream(stream: BinaryIO, size: int, copy_to: BinaryIO | None) -> tuple[str, int]:
    """Hash up to ``size`` bytes of ``stream`` (copying them to ``copy_to``); return digest and count."""
    digest = hashlib.sha256()
    left = size
    try:
        while left > 0:
            chunk = stream.read(min(CHUNK_SIZE, left))
            if not chunk:
                break
            digest.update(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise StorageError(f"could not read the upload stream: {exc}", field="stream") from exc
    return digest.hexdigest(), size - left


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
