"""Garbage collection: delete blobs nothing references once they are older than a grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.api import BlobStore
from storage.local import LocalBlobStore


def collect_garbage(store: BlobStore, *, referenced: set[str], older_than: timedelta) -> list[str]:
    """Delete unreferenced blobs last modified before now - ``older_than``; return their keys."""
    # The grace period protects blobs written by a transaction that has not committed its reference yet.
    cutoff = datetime.now(UTC) - older_than
    doomed = [info.key for info in store.list() if info.key not in referenced and info.modified_at < cutoff]
    for key in doomed:
        store.delete(key)
    if isinstance(store, LocalBlobStore):
        store.sweep_temporary(older_than)
    return sorted(doomed)
