"""LocalBlobStore specifics: crash safety of writes, temp-file hygiene, layout."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from storage import LocalBlobStore, StorageUnavailable, collect_garbage

CRASHING_WRITER = textwrap.dedent(
    """
    import io, sys, time
    from storage import LocalBlobStore

    class SlowUpload(io.RawIOBase):
        # Hands out 1 MiB, then announces it is mid-way and hangs until killed.
        calls = 0
        def readable(self):
            return True
        def readinto(self, buffer):
            self.calls += 1
            if self.calls == 2:
                print("mid-write", flush=True)
                time.sleep(60)
            buffer[: len(buffer)] = b"x" * len(buffer)
            return len(buffer)

    LocalBlobStore(sys.argv[1]).put_stream(SlowUpload(), 50 * 1024 * 1024)
    """
)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_layout_is_sharded_with_a_content_type_sidecar(local_store: LocalBlobStore) -> None:
    key = local_store.put(b"layout", content_type="text/plain").key
    shard = local_store.root / key[:2] / key[2:4]
    assert sorted(p.name for p in shard.iterdir()) == [key, key + ".type"]
    assert (shard / key).read_bytes() == b"layout"


def test_killed_mid_write_leaves_no_visible_blob(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "mid-write"
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    store = LocalBlobStore(root)
    leftovers = _files(root)
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".tmp-")  # the interrupted write...
    assert leftovers[0].stat().st_size >= 1024 * 1024
    assert list(store.list()) == []  # ...is invisible
    assert not store.exists(hashlib.sha256(b"x" * 50 * 1024 * 1024).hexdigest())
    # A young temp file may belong to a write in progress: gc leaves it until the grace period passes.
    assert collect_garbage(store, referenced=set(), older_than=timedelta(hours=1)) == []
    assert _files(root) == leftovers
    os.utime(leftovers[0], (0, 0))
    assert collect_garbage(store, referenced=set(), older_than=timedelta(hours=1)) == []
    assert _files(root) == []


@pytest.mark.parametrize("failing_call", [1, 2], ids=["sidecar-rename", "blob-rename"])
def test_failure_at_rename_leaves_nothing_behind(
    local_store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    calls = []
    real_replace = os.replace

    def crash_on_replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError(5, "simulated I/O error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_replace)
    data = os.urandom(10_000)
    with pytest.raises(StorageUnavailable) as caught:
        local_store.put(data)
    assert (caught.value.code, caught.value.status_code) == ("storage_unavailable", 503)
    assert str(local_store.root) in str(caught.value)
    monkeypatch.undo()
    key = hashlib.sha256(data).hexdigest()
    assert list(local_store.list()) == []
    assert not local_store.exists(key)
    assert not [p for p in _files(local_store.root) if p.name.startswith(".tmp-")]


def test_temp_files_are_not_listed(local_store: LocalBlobStore) -> None:
    key = local_store.put(b"real").key
    shard = local_store.root / key[:2] / key[2:4]
    (shard / ".tmp-deadbeef").write_bytes(b"half a blob")
    (local_store.root / ".tmp-cafebabe").write_bytes(b"half a stream")
    (shard / ("0" * 64)).write_bytes(b"a key-named file in the wrong shard")
    assert [info.key for info in local_store.list()] == [key]


def test_unwritable_root_is_unavailable(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.ping()
    store.root.rmdir()
    with pytest.raises(StorageUnavailable) as caught:
        store.ping()
    assert str(store.root) in str(caught.value)
