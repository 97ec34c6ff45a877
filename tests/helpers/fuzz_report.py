"""What the fuzzers report: their counters for ``make test``'s summary, one line per fuzzer in
test-artifacts/fuzz.summary.txt (printed by tools/summary.py), and short tracebacks for their failures.

Each fuzzer replaces only its own line, under a file lock, because the SQLite and the PostgreSQL suites run
side by side and write the same file."""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

SUMMARY = Path("test-artifacts") / "fuzz.summary.txt"
# The line of each fuzzer starts with its key; the file keeps this order.
KEYS = ("fuzzing:", "fuzzing (stateful):", "fuzzing (forms):")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)): (\([\w.]+\))?")
FRAME_LINE = re.compile(r'^\s*File "([^"]+)", line \d+, in ')


def record(key: str, text: str) -> None:
    """Write ``key text`` as the line of ``key``, keeping the lines of the other fuzzers."""
    assert key in KEYS, key
    SUMMARY.parent.mkdir(exist_ok=True)
    with open(SUMMARY.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = SUMMARY.read_text(encoding="utf-8").splitlines() if SUMMARY.exists() else []
        kept = {k: line for line in lines for k in KEYS if line.startswith(k) and k != key}
        kept[key] = f"{key} {text}"
        tmp = SUMMARY.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(kept[k] + "\n" for k in KEYS if k in kept), encoding="utf-8")
        os.replace(tmp, SUMMARY)


def exception_name(trace: str) -> str:
    """The class of the last exception of a traceback, with the driver's class SQLAlchemy names after it
    ("sqlalchemy.exc.DataError(psycopg.errors.StringDataRightTruncation)"); "" for none."""
    names = [m.group(1) + (m.group(2) or "") for line in trace.splitlines() if (m := EXCEPTION_LINE.match(line))]
    return names[-1] if names else ""


def snippet(trace: str) -> str:
    """The gist of a traceback: the last frame in the platform's own code, the last frame of all, the
    exception line and the statement parameters SQLAlchemy shows."""
    lines = trace.strip().splitlines()
    ends = [i for i, line in enumerate(lines) if EXCEPTION_LINE.match(line)]
    end = ends[-1] if ends else len(lines) - 1
    frames = [i for i, line in enumerate(lines[:end]) if FRAME_LINE.match(line)]
    ours = [i for i in frames if not any(part in lines[i] for part in ("site-packages", "/lib/python3", "/tests/"))]
    picked = sorted({*ours[-1:], *frames[-1:]})
    shown = [text for i in picked for text in (lines[i], lines[i + 1] if i + 1 < end else "") if text]
    extra = [line[:300] for line in lines[end + 1:] if line.startswith("[parameters:")]
    return "\n".join([*shown, lines[end][:500] if lines else "", *extra])
