"""open_store: ONENUMBER_STORAGE_URL picks the backend; a bad URL names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import LocalBlobStore, S3BlobStore, StorageError, open_store


def test_file_url_opens_a_local_store(tmp_path: Path) -> None:
    store = open_store(f"file://{tmp_path}/blobs", access_key="", secret_key="")
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"
    assert store.get(store.put(b"x").key) == b"x"


def test_s3_url_opens_an_s3_store() -> None:
    store = open_store(
        "s3://onenumber-blobs?endpoint=minio.internal:9000&secure=true&region=cn-north-1",
        access_key="ak",
        secret_key="sk",
    )
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.endpoint, store.url) == (
        "onenumber-blobs",
        "minio.internal:9000",
        "https://minio.internal:9000",
    )
    plain = open_store("s3://onenumber?endpoint=127.0.0.1:9000", access_key="ak", secret_key="sk")
    assert isinstance(plain, S3BlobStore) and plain.url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/var/blobs",
        "ftp://host/blobs",
        "file://host/var/blobs",
        "file://",
        "s3://bucket",
        "s3://?endpoint=127.0.0.1:9000",
        "s3://bucket/path?endpoint=127.0.0.1:9000",
        "s3://bucket?endpoint=127.0.0.1:9000&secure=maybe",
        "s3://bucket?endpoint=127.0.0.1:9000&colour=blue",
        "s3://bucket?endpoint=http://127.0.0.1:9000",
        "s3://Bad_Bucket?endpoint=127.0.0.1:9000",
    ],
)
def test_bad_url_names_the_setting(url: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        open_store(url, access_key="ak", secret_key="sk")
    assert "ONENUMBER_STORAGE_URL" in str(caught.value) or caught.value.field == "ONENUMBER_STORAGE_URL"
    assert caught.value.field == "ONENUMBER_STORAGE_URL"
