"""Fixtures of the storage tests: one `store` parametrized over both backends, raw access to tamper
with stored bytes, and a private SeaweedFS server that a test may stop."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import BlobStore, LocalBlobStore, S3BlobStore

REPO = Path(__file__).resolve().parents[2]
S3_SH = REPO / "tools" / "s3.sh"
ACCESS_KEY = os.environ.get("ONENUMBER_TEST_S3_ACCESS_KEY", "onenumber")
SECRET_KEY = os.environ.get("ONENUMBER_TEST_S3_SECRET_KEY", "onenumber-dev-secret")


def raw_minio(store: S3BlobStore):  # type: ignore[no-untyped-def]
    """A plain minio client on the same server, to look behind the store's back."""
    from minio import Minio

    return Minio(store.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)


def _drop_bucket(store: S3BlobStore) -> None:
    from minio.error import S3Error

    client = raw_minio(store)
    try:
        for obj in client.list_objects(store.bucket, recursive=True):
            client.remove_object(store.bucket, obj.object_name)
        client.remove_bucket(store.bucket)
    except S3Error:
        pass


@pytest.fixture(
    params=[
        pytest.param("local_store", id="local"),
        pytest.param("s3_store", id="s3", marks=pytest.mark.integration),
    ]
)
def store(request: pytest.FixtureRequest) -> Iterator[BlobStore]:
    """Each backend in turn: LocalBlobStore on tmp_path, S3BlobStore on a fresh bucket (skipped sans S3)."""
    backend = request.getfixturevalue(request.param)
    yield backend
    if isinstance(backend, S3BlobStore):
        _drop_bucket(backend)


@pytest.fixture
def s3(s3_store: S3BlobStore) -> Iterator[S3BlobStore]:
    """The S3 store alone, its bucket removed afterwards."""
    yield s3_store
    _drop_bucket(s3_store)


@pytest.fixture
def overwrite() -> Callable[[BlobStore, str, bytes], None]:
    """Replace the stored bytes of a blob behind the store's back (a disk or bucket going bad)."""

    def _overwrite(store: BlobStore, key: str, data: bytes) -> None:
        if isinstance(store, LocalBlobStore):
            path = store.root / key[:2] / key[2:4] / key
            path.chmod(0o644)
            path.write_bytes(data)
        elif isinstance(store, S3BlobStore):
            import io

            raw_minio(store).put_object(store.bucket, key, io.BytesIO(data), len(data))
        else:
            raise AssertionError(f"unknown store {store!r}")

    return _overwrite


def _free_port_block(width: int = 8) -> int:
    """A port P such that P .. P+width-1 are all free on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + width > 65528:
            continue
        try:
            socks = []
            for port in range(base, base + width):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return base
    raise RuntimeError("no free block of ports")


class PrivateS3:
    """A SeaweedFS S3 server owned by one test (so the test may stop it)."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.endpoint = f"127.0.0.1:{port}"

    def start(self) -> None:
        """Start the server and wait until S3 answers."""
        subprocess.run(
            ["bash", str(S3_SH), "start", str(self.directory), str(self.port)], check=True, timeout=90
        )

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        subprocess.run(["bash", str(S3_SH), "stop", str(self.directory)], check=True, timeout=60)


@pytest.fixture
def private_s3(s3_store: S3BlobStore, tmp_path: Path) -> Iterator[PrivateS3]:
    """A second SeaweedFS on its own ports (needs the S3 tests enabled; s3_store skips otherwise)."""
    if not shutil.which("curl"):
        pytest.skip("tools/s3.sh needs curl")
    server = PrivateS3(tmp_path / "private-s3", _free_port_block())
    server.start()
    try:
        yield server
    finally:
        server.stop()
