"""The BlobStore contract, run against every backend (local directory and S3)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from storage import (
    BlobCorrupted,
    BlobNotFound,
    BlobStore,
    InvalidKey,
    LocalBlobStore,
    S3BlobStore,
    SizeMismatch,
    StorageError,
)

MISSING = hashlib.sha256(b"never stored").hexdigest()


class OneWayStream(io.RawIOBase):
    """A non-seekable stream (like a request body) that hands out small, uneven chunks."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), 7777, len(self._data) - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def _keys(store: BlobStore) -> set[str]:
    return {info.key for info in store.list()}


def test_put_get_round_trip(store: BlobStore) -> None:
    data = os.urandom(300_000)
    info = store.put(data, content_type="application/pdf")
    assert info.key == info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert info.content_type == "application/pdf"
    assert info.modified_at.tzinfo is not None
    assert store.get(info.key) == data
    assert store.exists(info.key)


@pytest.mark.parametrize("wrap", [io.BytesIO, OneWayStream], ids=["seekable", "one-way"])
def test_put_stream_round_trip(store: BlobStore, wrap: Callable[[bytes], io.IOBase]) -> None:
    data = os.urandom(2_500_000)
    info = store.put_stream(wrap(data), len(data), content_type="image/png")  # type: ignore[arg-type]
    assert info.key == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert store.get(info.key) == data
    assert store.stat(info.key).content_type == "image/png"


def test_put_stream_reads_only_the_announced_size(store: BlobStore) -> None:
    stream = io.BytesIO(b"headerBODY-TRAILER")
    stream.seek(6)
    info = store.put_stream(stream, 4)
    assert store.get(info.key) == b"BODY"


def test_short_stream_is_refused_and_stores_nothing(store: BlobStore) -> None:
    with pytest.raises(SizeMismatch) as caught:
        store.put_stream(io.BytesIO(b"only ten b"), 11)
    assert (caught.value.code, caught.value.status_code, caught.value.field) == (
        "blob_size_mismatch",
        400,
        "size",
    )
    assert _keys(store) == set()


def test_streaming_reader_round_trip(store: BlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    key = store.put(data).key
    with store.open(key) as reader:
        assert reader.size == len(data)
        assert b"".join(reader.chunks(1024 * 1024)) == data


def test_empty_blob(store: BlobStore) -> None:
    info = store.put(b"")
    assert info.key == hashlib.sha256(b"").hexdigest()
    assert info.size == 0
    assert store.get(info.key) == b""
    assert store.stat(info.key).size == 0
    assert store.put_stream(io.BytesIO(b""), 0).key == info.key
    assert _keys(store) == {info.key}


def test_put_is_idempotent(store: BlobStore) -> None:
    first = store.put(b"same bytes", content_type="text/plain")
    second = store.put(b"same bytes", content_type="text/plain")
    third = store.put_stream(io.BytesIO(b"same bytes"), 10, content_type="text/plain")
    assert first.key == second.key == third.key
    assert [info.key for info in store.list()] == [first.key]
    assert store.get(first.key) == b"same bytes"


def test_stat(store: BlobStore) -> None:
    info = store.put(b"%PDF-1.7 ...", content_type="application/pdf")
    stat = store.stat(info.key)
    assert (stat.key, stat.size, stat.sha256, stat.content_type) == (
        info.key,
        12,
        info.key,
        "application/pdf",
    )
    assert stat.modified_at.tzinfo is not None
    assert abs(stat.modified_at - info.modified_at) < timedelta(seconds=5)
    assert store.stat(store.put(b"x").key).content_type == "application/octet-stream"


def test_missing_blob(store: BlobStore) -> None:
    for read in (store.get, store.stat, store.open):
        with pytest.raises(BlobNotFound) as caught:
            read(MISSING)
        assert (caught.value.code, caught.value.status_code, caught.value.field) == (
            "blob_not_found",
            404,
            "key",
        )
        assert MISSING in str(caught.value)
    assert not store.exists(MISSING)


def test_delete(store: BlobStore) -> None:
    keep = store.put(b"keep").key
    gone = store.put(b"gone").key
    store.delete(gone)
    with pytest.raises(BlobNotFound):
        store.get(gone)
    with pytest.raises(BlobNotFound):
        store.stat(gone)
    assert not store.exists(gone)
    store.delete(gone)  # deleting twice is not an error
    assert _keys(store) == {keep}
    assert store.get(keep) == b"keep"


def test_list(store: BlobStore) -> None:
    assert list(store.list()) == []
    blobs = {store.put(os.urandom(n)).key: n for n in (0, 1, 1000, 70_000)}
    listed = {info.key: info for info in store.list()}
    assert set(listed) == set(blobs)
    for key, info in listed.items():
        assert (info.size, info.sha256, info.content_type) == (blobs[key], key, None)
        assert info.modified_at.tzinfo is not None


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "A" * 64, "0" * 63, "g" * 64, "0" * 64 + "/x"])
def test_invalid_key_is_refused(store: BlobStore, bad: str) -> None:
    for call in (store.get, store.stat, store.delete, store.exists, store.open):
        with pytest.raises(InvalidKey) as caught:
            call(bad)
        assert (caught.value.code, caught.value.status_code, caught.value.field) == (
            "invalid_blob_key",
            400,
            "key",
        )


@pytest.mark.parametrize("expires", [timedelta(0), timedelta(seconds=-5), timedelta(days=8)])
def test_presign_expiry_bounds(store: BlobStore, expires: timedelta) -> None:
    key = store.put(b"x").key
    with pytest.raises(StorageError) as caught:
        store.presign(key, expires)
    assert (caught.value.code, caught.value.field) == ("invalid_expiry", "expires")


def test_presign(store: BlobStore) -> None:
    data = os.urandom(50_000)
    key = store.put(data, content_type="application/pdf").key
    url = store.presign(key, timedelta(minutes=5))
    if isinstance(store, S3BlobStore):
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200
        assert response.content == data
        tampered = url.replace(key, hashlib.sha256(b"other").hexdigest())
        assert httpx.get(tampered, timeout=10).status_code in (403, 404)
        expired = store.presign(key, timedelta(seconds=1))
        import time

        time.sleep(2.1)
        assert httpx.get(expired, timeout=10).status_code == 403
    else:
        assert isinstance(store, LocalBlobStore)
        path, _, query = url.partition("?")
        assert path == f"/blobs/{key}"
        params = dict(pair.split("=", 1) for pair in query.split("&"))
        assert store.verify_presigned(key, params["expires"], params["sig"])
        other = hashlib.sha256(b"other").hexdigest()
        assert not store.verify_presigned(other, params["expires"], params["sig"])
        assert not store.verify_presigned(key, str(int(params["expires"]) + 1), params["sig"])
        assert not store.verify_presigned(key, params["expires"], "0" * 64)
        assert not store.verify_presigned(key, "soon", params["sig"])
        later = int(params["expires"]) + 1
        assert not store.verify_presigned(key, params["expires"], params["sig"], now=later)
        foreign = LocalBlobStore(store.root, secret=b"another secret")
        assert not foreign.verify_presigned(key, params["expires"], params["sig"])


def test_corrupted_blob_is_detected_on_read(
    store: BlobStore, overwrite: Callable[[BlobStore, str, bytes], None]
) -> None:
    data = os.urandom(100_000)
    key = store.put(data).key
    flipped = bytearray(data)
    flipped[54_321] ^= 0x01
    overwrite(store, key, bytes(flipped))
    with pytest.raises(BlobCorrupted) as caught:
        store.get(key)
    assert (caught.value.code, caught.value.status_code) == ("blob_corrupted", 500)
    assert key in str(caught.value)
    with pytest.raises(BlobCorrupted), store.open(key) as reader:
        reader.read()
    # Putting the right bytes again heals the blob (content addressing: same key).
    assert store.put(data).key == key
    assert store.get(key) == data
