"""`onenumber storage …` subcommands: `ls`, `stat KEY` and `gc` on the configured blob store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta

from core.settings import get_settings
from storage import open_store
from storage.api import BlobInfo, BlobStore
from storage.errors import StorageError
from storage.gc import collect_garbage


def _open() -> BlobStore:
    settings = get_settings()
    return open_store(
        settings.storage_url, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key
    )


def _line(info: BlobInfo) -> str:
    kind = f"  {info.content_type}" if info.content_type else ""
    return f"{info.key}  {info.size:>12}  {info.modified_at.isoformat(timespec='seconds')}{kind}"


def _ls(args: argparse.Namespace) -> int:
    total = count = 0
    for info in _open().list():
        print(_line(info))
        total += info.size
        count += 1
    print(f"{count} blobs, {total} bytes", file=sys.stderr)
    return 0


def _stat(args: argparse.Namespace) -> int:
    store = _open()
    info = store.stat(args.key)
    print(_line(info))
    if args.verify:
        with store.open(args.key) as reader:
            for _ in reader.chunks():
                pass
        print("sha256 verified")
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.storage_func(args)
    except StorageError as exc:
        print(f"storage: {exc.code}: {exc}", file=sys.stderr)
        return 1
    return code


def _gc_command(referenced_keys: Callable[[], set[str]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        deleted = collect_garbage(_open(), referenced=referenced_keys(),
                                  older_than=timedelta(hours=args.grace_hours))
        for key in deleted:
            print(f"deleted {key}")
        print(f"{len(deleted)} unreferenced blobs removed")
        return 0

    return run


def register(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    *,
    referenced_keys: Callable[[], set[str]] | None = None,
) -> None:
    """Add `storage ls`, `storage stat KEY` and, given who refers to blobs, `storage gc`."""
    parser = subparsers.add_parser("storage", help="the blob store named by ONENUMBER_STORAGE_URL")
    sub = parser.add_subparsers(dest="storage_command", required=True)
    sub.add_parser("ls", help="list every blob: key, size, modified time").set_defaults(storage_func=_ls)
    stat = sub.add_parser("stat", help="show one blob's size, time and content type")
    stat.add_argument("key", help="hex SHA-256 of the blob")
    stat.add_argument("--verify", action="store_true", help="also read the blob and check its SHA-256")
    stat.set_defaults(storage_func=_stat)
    if referenced_keys is not None:
        gc = sub.add_parser("gc", help="delete blobs nothing refers to (older than the grace period)")
        gc.add_argument("--grace-hours", type=float, default=1.0,
                        help="keep unreferenced blobs younger than this (an issuance may be in flight)")
        gc.set_defaults(storage_func=_gc_command(referenced_keys))
    parser.set_defaults(func=_run)
