"""`onenumber storage ls` and `storage stat KEY` on the store named by the settings."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from storage import LocalBlobStore
from storage.cli import register


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="onenumber")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalBlobStore:
    from core.settings import get_settings

    monkeypatch.setenv("ONENUMBER_STORAGE_URL", f"file://{tmp_path / 'blobs'}")
    get_settings.cache_clear()
    yield LocalBlobStore(tmp_path / "blobs")  # type: ignore[misc]
    get_settings.cache_clear()


def test_ls_and_stat(configured: LocalBlobStore, capsys: pytest.CaptureFixture[str]) -> None:
    key = configured.put(b"%PDF-1.7", content_type="application/pdf").key
    assert _run(["storage", "ls"]) == 0
    out, err = capsys.readouterr()
    assert out.split()[:2] == [key, "8"] and "1 blobs, 8 bytes" in err
    assert _run(["storage", "stat", key, "--verify"]) == 0
    out, _ = capsys.readouterr()
    assert "application/pdf" in out and "sha256 verified" in out


def test_stat_errors_exit_1(configured: LocalBlobStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["storage", "stat", "0" * 64]) == 1
    assert "blob_not_found" in capsys.readouterr().err
    assert _run(["storage", "stat", "../etc/passwd"]) == 1
    assert "invalid_blob_key" in capsys.readouterr().err
    key = configured.put(b"good").key
    (configured.root / key[:2] / key[2:4] / key).write_bytes(b"evil")
    assert _run(["storage", "stat", key, "--verify"]) == 1
    assert "blob_corrupted" in capsys.readouterr().err
