"""collect_garbage: unreferenced blobs past the grace period go, everything else stays."""

from __future__ import annotations

from datetime import timedelta

from storage import BlobStore, collect_garbage


def test_collects_only_unreferenced_blobs_past_the_grace_period(store: BlobStore) -> None:
    kept = store.put(b"referenced by a license").key
    orphan = store.put(b"left by a failed transaction").key
    assert collect_garbage(store, referenced={kept}, older_than=timedelta(hours=1)) == []
    assert {info.key for info in store.list()} == {kept, orphan}
    assert collect_garbage(store, referenced={kept}, older_than=timedelta(0)) == [orphan]
    assert {info.key for info in store.list()} == {kept}
    assert store.get(kept) == b"referenced by a license"
    assert collect_garbage(store, referenced={kept}, older_than=timedelta(0)) == []
