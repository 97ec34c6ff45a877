"""Blob store throughput: our LocalBlobStore / S3BlobStore next to the raw calls they wrap.

    tools/s3.sh start /tmp/s3bench 18433
    .venv/bin/python bench/storage_bench.py --s3-endpoint 127.0.0.1:18433
    tools/s3.sh stop /tmp/s3bench

Prints a markdown table: median milliseconds per operation, MiB/s, the ours/raw throughput ratio, and the
ratio against "raw + sha256" (the raw call plus the one SHA-256 pass our store must make: of the data
before a put, because the key is the hash; of the bytes after a get, the integrity check).
Local "raw" is a plain temp-file write + fsync + rename (and a plain read); S3 "raw" is minio's
``put_object`` / ``get_object().read()`` with default settings on the same server.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage import LocalBlobStore, S3BlobStore  # noqa: E402

MiB = 1024 * 1024


def _medians(repeat: int, *fns: Callable[[], object]) -> list[float]:
    """Median seconds of each function, interleaved so drift hits all alike (after one warm-up)."""
    for fn in fns:
        fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, samples, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]


def _hashed(fn: Callable[[], bytes | None], data: bytes | None = None) -> Callable[[], None]:
    """``fn`` plus the SHA-256 our store must make (of ``data`` before a put, of the result after a get)."""

    def run() -> None:
        if data is not None:
            hashlib.sha256(data).hexdigest()
        out = fn()
        if data is None:
            hashlib.sha256(out or b"").hexdigest()

    return run


def _raw_file_put(directory: Path, data: bytes) -> None:
    tmp = directory / "raw.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / "raw.bin")
    fd = os.open(directory, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def _row(backend: str, op: str, size: int, times: list[float]) -> str:
    ours, raw, raw_hashed = times
    mib = size / MiB
    return (
        f"| {backend} | {op} | {mib:g} MiB | {ours * 1000:.1f} | {mib / ours:.0f} | "
        f"{raw * 1000:.1f} | {mib / raw:.0f} | **{raw / ours:.2f}** | "
        f"{raw_hashed * 1000:.1f} | {raw_hashed / ours:.2f} |"
    )


def bench_local(sizes: list[int], repeat: dict[int, int]) -> list[str]:
    """Rows for LocalBlobStore against plain file I/O in the same directory tree."""
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store = LocalBlobStore(Path(tmp) / "blobs")
        raw_dir = Path(tmp) / "raw"
        raw_dir.mkdir()
        for size in sizes:
            data = os.urandom(size)
            key = store.put(data).key
            raw_put = functools.partial(_raw_file_put, raw_dir, data)
            times = _medians(
                repeat[size], functools.partial(store.put, data), raw_put, _hashed(raw_put, data)
            )
            rows.append(_row("local", "put", size, times))
            raw_get = (raw_dir / "raw.bin").read_bytes
            times = _medians(repeat[size], functools.partial(store.get, key), raw_get, _hashed(raw_get))
            rows.append(_row("local", "get", size, times))
    return rows


def bench_s3(
    endpoint: str, access_key: str, secret_key: str, sizes: list[int], repeat: dict[int, int]
) -> list[str]:
    """Rows for S3BlobStore against raw minio calls on the same server."""
    from minio import Minio

    rows = []
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    store = S3BlobStore(endpoint, bucket, access_key, secret_key)
    raw = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=False)
    raw_bucket = bucket + "-raw"
    raw.make_bucket(raw_bucket)

    def raw_get(name: str) -> bytes:
        response = raw.get_object(raw_bucket, name)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    try:
        for size in sizes:
            data = os.urandom(size)
            key = store.put(data).key
            name = f"raw-{size}"
            raw.put_object(raw_bucket, name, io.BytesIO(data), size)

            def raw_put(d: bytes = data, n: str = name) -> None:
                raw.put_object(raw_bucket, n, io.BytesIO(d), len(d))

            times = _medians(
                repeat[size], functools.partial(store.put, data), raw_put, _hashed(raw_put, data)
            )
            rows.append(_row("s3", "put", size, times))
            get_raw = functools.partial(raw_get, name)
            times = _medians(repeat[size], functools.partial(store.get, key), get_raw, _hashed(get_raw))
            rows.append(_row("s3", "get", size, times))
    finally:
        for b in (bucket, raw_bucket):
            for obj in raw.list_objects(b, recursive=True):
                raw.remove_object(b, obj.object_name)
            raw.remove_bucket(b)
    return rows


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--s3-endpoint", default=os.environ.get("ONENUMBER_TEST_S3_ENDPOINT"))
    parser.add_argument("--access-key", default=os.environ.get("ONENUMBER_TEST_S3_ACCESS_KEY", "onenumber"))
    parser.add_argument(
        "--secret-key", default=os.environ.get("ONENUMBER_TEST_S3_SECRET_KEY", "onenumber-dev-secret")
    )
    parser.add_argument("--repeat-small", type=int, default=30, help="repetitions for 1 MiB")
    parser.add_argument("--repeat-large", type=int, default=7, help="repetitions for 50 MiB")
    args = parser.parse_args()
    sizes = [1 * MiB, 50 * MiB]
    repeat = {1 * MiB: args.repeat_small, 50 * MiB: args.repeat_large}
    print(
        "| store | op | size | ours ms | ours MiB/s | raw ms | raw MiB/s | ours/raw "
        "| raw+sha256 ms | ours/(raw+sha256) |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = bench_local(sizes, repeat)
    if args.s3_endpoint:
        rows += bench_s3(args.s3_endpoint, args.access_key, args.secret_key, sizes, repeat)
    else:
        print("(no --s3-endpoint: S3 rows skipped)", file=sys.stderr)
    for row in rows:
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
