"""Append to and verify the hash-chained work log."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onenumber.db import utcnow
from onenumber.worklog.models import WorkLogEntry, WorkLogHead

GENESIS = "0" * 64
# An 18-character run that looks like a resident ID number must never reach the log in clear.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")


class WorkLogLeak(ValueError):
    """A work-log entry carried something that looks like a clear ID number."""


def _canonical(*, seq: int, at: datetime, actor: str, action: str, obj: str, details: dict[str, Any]) -> str:
    payload = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "object": obj,
        "details": details,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical.encode()).hexdigest()


def _ensure_head(session: Session) -> None:
    """Create the chain head once, race-free (concurrent first appends must not collide)."""
    values = {"id": 1, "seq": 0, "hash": GENESIS}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(WorkLogHead).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(WorkLogHead).values(**values).on_conflict_do_nothing())


def append(
    *, session: Session, actor: str, action: str, object: str, details: dict[str, Any] | None = None
) -> WorkLogEntry:
    """Append an entry inside the caller's transaction (it commits with the business change)."""
    details = json.loads(json.dumps(details or {}, default=str))
    text = json.dumps([actor, object, details], ensure_ascii=False)
    if _ID_LIKE.search(text):
        raise WorkLogLeak(f"work-log entry for {action!r} contains a clear ID number; log a masked form")
    _ensure_head(session)
    # Take the write lock on the head row before reading it (PostgreSQL row lock, SQLite RESERVED
    # lock): no other transaction can read the same head and fork the chain.
    session.execute(update(WorkLogHead).where(WorkLogHead.id == 1).values(seq=WorkLogHead.seq))
    head = session.execute(select(WorkLogHead).where(WorkLogHead.id == 1).with_for_update()).scalar_one()
    seq = head.seq + 1
    at = utcnow()
    digest = _hash(head.hash, _canonical(seq=seq, at=at, actor=actor, action=action, obj=object, details=details))
    entry = WorkLogEntry(
        seq=seq, at=at, actor=actor, action=action, object=object, details=details, prev_hash=head.hash, hash=digest
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: ``ok``, entries checked, and the first broken sequence number."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def verify(*, session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain from the start; report the first entry that was edited, inserted or deleted."""
    prev_hash, expected_seq, checked, last_seq = GENESIS, 1, 0, 0
    while True:
        rows = session.execute(
            select(WorkLogEntry).where(WorkLogEntry.seq > last_seq).order_by(WorkLogEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if row.prev_hash != prev_hash:
                return VerifyResult(False, checked, row.seq, "link to the previous entry is broken")
            canonical = _canonical(
                seq=row.seq, at=row.at, actor=row.actor, action=row.action, obj=row.object, details=row.details
            )
            if _hash(prev_hash, canonical) != row.hash:
                return VerifyResult(False, checked, row.seq, "entry content does not match its hash")
            prev_hash, expected_seq, last_seq = row.hash, row.seq + 1, row.seq
            checked += 1
        session.expunge_all()
    head = session.get(WorkLogHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return VerifyResult(False, checked, last_seq + 1, "entries after the last one were deleted")
    return VerifyResult(True, checked)


def list_entries(
    *, session: Session, object_prefix: str | None = None, limit: int = 100
) -> Sequence[WorkLogEntry]:
    """Newest entries first, optionally only those whose object starts with ``object_prefix``."""
    stmt = select(WorkLogEntry).order_by(WorkLogEntry.seq.desc()).limit(limit)
    if object_prefix:
        stmt = stmt.where(WorkLogEntry.object.startswith(object_prefix))
    return session.execute(stmt).scalars().all()
