"""S3BlobStore specifics against a real SeaweedFS: outages, credentials, multipart, lazy bucket."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from storage import BlobNotFound, S3BlobStore, StorageUnavailable

pytestmark = pytest.mark.integration
ACCESS_KEY = os.environ.get("ONENUMBER_TEST_S3_ACCESS_KEY", "onenumber")
SECRET_KEY = os.environ.get("ONENUMBER_TEST_S3_SECRET_KEY", "onenumber-dev-secret")
MiB = 1024 * 1024


def raw_minio(store: S3BlobStore):  # type: ignore[no-untyped-def]
    """A plain minio client on the same server, to look behind the store's back."""
    from minio import Minio

    return Minio(store.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)


def test_bucket_is_created_lazily_on_first_write(s3: S3BlobStore) -> None:
    raw = raw_minio(s3)
    s3.ping()  # reachable even before the bucket exists
    assert list(s3.list()) == []
    with pytest.raises(BlobNotFound):
        s3.get(hashlib.sha256(b"x").hexdigest())
    assert not raw.bucket_exists(s3.bucket)
    key = s3.put(b"first").key
    assert raw.bucket_exists(s3.bucket)
    assert raw.get_object(s3.bucket, key).read() == b"first"


def test_stopped_server_is_unavailable_quickly(private_s3, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = S3BlobStore(private_s3.endpoint, "outage", ACCESS_KEY, SECRET_KEY)
    key = store.put(b"before the outage").key
    fresh = S3BlobStore(private_s3.endpoint, "never-contacted", ACCESS_KEY, SECRET_KEY)
    private_s3.stop()
    calls = {
        "put": lambda: store.put(b"during the outage"),
        "put_stream": lambda: store.put_stream(io.BytesIO(b"abc"), 3),
        "get": lambda: store.get(key),
        "open": lambda: store.open(key),
        "stat": lambda: store.stat(key),
        "exists": lambda: store.exists(key),
        "delete": lambda: store.delete(key),
        "list": lambda: list(store.list()),
        "ping": store.ping,
        "fresh put": lambda: fresh.put(b"x"),
        "fresh ping": fresh.ping,
    }
    for name, call in calls.items():
        started = time.monotonic()
        with pytest.raises(StorageUnavailable) as caught:
            call()
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"{name} took {elapsed:.1f}s to give up"
        assert caught.value.code == "storage_unavailable" and caught.value.status_code == 503
        assert f"http://{private_s3.endpoint}" in str(caught.value), name
        assert caught.value.endpoint == f"http://{private_s3.endpoint}"
    private_s3.start()
    # The same store object works again once the server is back (no poisoned connection or state).
    deadline = time.monotonic() + 15
    while True:  # the restarted server may answer "not ready" for a moment while its volumes register
        try:
            assert store.get(key) == b"before the outage"
            break
        except StorageUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert [info.key for info in store.list()] == [key]


def test_wrong_credentials_are_unavailable(s3: S3BlobStore) -> None:
    wrong = S3BlobStore(s3.endpoint, s3.bucket, ACCESS_KEY, "not-the-secret")
    for call in (wrong.ping, lambda: wrong.put(b"x")):
        with pytest.raises(StorageUnavailable) as caught:
            call()
        assert "refused our credentials" in str(caught.value)
        assert s3.endpoint in str(caught.value)


@pytest.mark.slow
def test_50_mib_multipart_round_trip(s3: S3BlobStore) -> None:
    data = os.urandom(50 * MiB)
    info = s3.put(data, content_type="application/pdf")
    assert info.size == 50 * MiB
    etag = raw_minio(s3).stat_object(s3.bucket, info.key).etag
    parts = -(-info.size // s3.part_size)
    assert parts > 1 and etag.endswith(f"-{parts}"), (
        f"expected a {parts}-part multipart upload, got ETag {etag}"
    )
    assert s3.get(info.key) == data
    with s3.open(info.key) as reader:
        assert hashlib.sha256(b"".join(reader.chunks(8 * MiB))).hexdigest() == info.key
    s3.delete(info.key)

    class OneWay(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            return self.inner.readinto(buffer)

    assert s3.put_stream(OneWay(), len(data)).key == info.key  # spooled to disk, then multipart
    assert s3.get(info.key) == data
