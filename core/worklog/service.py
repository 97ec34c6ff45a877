"""Append to, seal and verify the hash-chained work log.

Appending is a plain insert inside the caller's transaction, so busy paths (token issue, submission)
never queue behind one lock. Sealing links every committed, unsealed entry into the chain, in one short
transaction holding the head row; the app seals continuously in the background (see
:func:`onenumber.app.create_app`) and ``verify`` seals before it checks.

No entry may carry a clear resident ID number (:class:`WorkLogLeak`). The kernel imports no package of
ours, so the precise validator (``identifiers.ric``: checksum, birth date and GB/T 2260 province) cannot
be called from here. Decision (issue 13): candidates are found here and *confirmed* by a check that the
composition root installs (:func:`install_id_number_check`; ``onenumber.kernel_hooks`` installs
``identifiers.ric.is_valid``, called explicitly by the app factory, the CLI, Alembic and the tests —
never as a side effect of an import). Until then — a process that calls none of them — the kernel's own
check is in force, and it is stricter, never weaker: the same ISO 7064 MOD 11-2 checksum and real birth date
(1900 or later, future dates included) without the province table, so it refuses every number the
precise check refuses and at most a few more. An installed check must recognise the reference numbers
(:data:`REFERENCE_IDS`), so a wrong hook (one that never confirms) is refused instead of switching the
refusal off.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import groupcommit
from core.clock import utcnow
from core.logs import with_request_id
from core.worklog.models import WorkLogEntry, WorkLogHead

GENESIS = "0" * 64
# Candidates for a clear resident ID number; each is confirmed by a validator (checksum, birth date and,
# once installed, area) so that all-digit credit codes and serials are not mistaken for one.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_MOD_11_2_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # ISO 7064 MOD 11-2 over 17 digits
# Valid numbers (GB 11643 examples) every installed check must confirm.
REFERENCE_IDS = ("11010519491231002X", "110102199101010078", "440882198503293017")

IdNumberCheck = Callable[[str], bool]


class WorkLogLeak(ValueError):
    """A work-log entry carried a clear resident ID number."""


def plausible_resident_id(candidate: str) -> bool:
    """The kernel's own check of an 18-character candidate: MOD 11-2 check character and a real birth
    date from 1900 on. Every valid resident ID number passes (the precise check adds the province)."""
    if len(candidate) != 18 or not candidate[:17].isdigit():
        return False
    remainder = sum(int(digit) * weight for digit, weight in zip(candidate[:17], _MOD_11_2_WEIGHTS, strict=True)) % 11
    check = (12 - remainder) % 11
    if candidate[17].upper() != ("X" if check == 10 else str(check)):
        return False
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return False
    return born.year >= 1900


_confirm: IdNumberCheck = plausible_resident_id


def install_id_number_check(check: IdNumberCheck) -> None:
    """Confirm candidates with ``check`` (the composition root installs ``identifiers.ric.is_valid``).
    Refused (ValueError) unless it recognises :data:`REFERENCE_IDS`, the checksum-valid numbers it must."""
    global _confirm
    if not all(check(number) for number in REFERENCE_IDS):
        raise ValueError("an ID-number check must recognise valid resident ID numbers")
    _confirm = check


def contains_id_number(text: str) -> bool:
    """True if ``text`` holds a valid resident ID number in clear."""
    return any(_confirm(m.group(0)) for m in _ID_LIKE.finditer(text))


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


def _entry_hash(prev_hash: str, row: WorkLogEntry) -> str:
    return _hash(prev_hash, _canonical(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                                       obj=row.object, details=row.details))


def append(
    *, session: Session, actor: str, action: str, object: str, details: dict[str, Any] | None = None
) -> WorkLogEntry:
    """Append an entry inside the caller's transaction (it commits with the business change).

    On a session that defers log rows (:func:`core.groupcommit.defer_rows`) the entry is queued
    instead and written by the endpoint's group commit, after the business change and before the answer.
    """
    details = json.loads(json.dumps(with_request_id(details or {}), default=str))
    if contains_id_number(json.dumps([actor, object, details], ensure_ascii=False)):
        raise WorkLogLeak(f"work-log entry for {action!r} contains a clear ID number; log a masked form")
    entry = WorkLogEntry(at=utcnow(), actor=actor, action=action, object=object, details=details)
    if groupcommit.defer(session, entry):  # the endpoint writes it by group commit before it answers
        return entry
    session.add(entry)
    session.flush()
    return entry


def _ensure_head(session: Session) -> None:
    """Create the chain head once, race-free (concurrent first seals must not collide)."""
    values = {"id": 1, "position": 0, "hash": GENESIS}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(WorkLogHead).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(WorkLogHead).values(**values).on_conflict_do_nothing())


SEALER_LOCK = 0x4F4E_5345_414C  # PostgreSQL advisory lock of the one sealer at a time ("ONSEAL")


def _sealer_turn(session: Session) -> bool:
    """True when no other process is sealing (PostgreSQL: a transaction advisory lock, released at commit
    or when its holder dies, so another instance takes over on its next round; SQLite: one writer)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEALER_LOCK}).scalar())


def seal(*, session: Session, batch: int = 2000, wait: bool = True) -> int:
    """Link committed unsealed entries into the chain (in ``seq`` order); commit; return how many.

    ``wait=False`` (the servers' background sealer): leave the round to another instance that is sealing
    now instead of queueing behind its lock on the chain head.
    """
    sealed = 0
    while True:
        if not wait and not _sealer_turn(session):
            session.rollback()
            return sealed
        _ensure_head(session)
        # Write-lock the head before reading it (PostgreSQL row lock, SQLite RESERVED lock).
        session.execute(update(WorkLogHead).where(WorkLogHead.id == 1).values(position=WorkLogHead.position))
        # populate_existing: after a commit in this loop the session still holds the head it wrote, and
        # another process may have sealed since (sessions here keep objects after commit).
        head = session.execute(
            select(WorkLogHead).where(WorkLogHead.id == 1).execution_options(populate_existing=True)
        ).scalar_one()
        # Plain rows and one executemany UPDATE: ORM instances cost more than the hashing itself.
        rows = session.execute(
            select(WorkLogEntry.seq, WorkLogEntry.at, WorkLogEntry.actor, WorkLogEntry.action,
                   WorkLogEntry.object, WorkLogEntry.details)
            .where(WorkLogEntry.position.is_(None)).order_by(WorkLogEntry.seq).limit(batch)
        ).all()
        position, prev = head.position, head.hash
        chained = []
        for row in rows:
            position += 1
            digest = _hash(prev, _canonical(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                                            obj=row.object, details=row.details))
            chained.append({"seq": row.seq, "position": position, "prev_hash": prev, "hash": digest})
            prev = digest
        if chained:
            _write_links(session, chained)
            # Entries of this session were changed behind the ORM's back: reload them on next access.
            for obj in list(session.identity_map.values()):
                if isinstance(obj, WorkLogEntry):
                    session.expire(obj)
        head.position, head.hash = position, prev
        session.commit()
        sealed += len(rows)
        if len(rows) < batch:
            return sealed


# PostgreSQL: one UPDATE ... FROM unnest(arrays) for the whole batch (an executemany is one statement per
# entry; the chain fields of a busy second took a tenth of a worker's CPU that way).
_LINK_PG = text(
    "UPDATE work_log SET position = v.position, prev_hash = v.prev_hash, hash = v.hash "
    "FROM unnest(CAST(:seqs AS bigint[]), CAST(:positions AS bigint[]), CAST(:prevs AS varchar[]), "
    "CAST(:hashes AS varchar[])) AS v(seq, position, prev_hash, hash) WHERE work_log.seq = v.seq"
)


def _write_links(session: Session, chained: list[dict[str, Any]]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LINK_PG, {
            "seqs": [c["seq"] for c in chained],
            "positions": [c["position"] for c in chained],
            "prevs": [c["prev_hash"] for c in chained],
            "hashes": [c["hash"] for c in chained],
        })
    else:
        session.execute(update(WorkLogEntry), chained)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: ``ok``, entries checked, and the ``seq`` of the first broken entry."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def verify(*, session: Session, batch: int = 5000) -> VerifyResult:
    """Seal what is pending, then walk the chain; report the first entry edited, inserted or deleted."""
    seal(session=session)
    prev_hash, expected, checked, last_position, last_seq = GENESIS, 1, 0, 0, 0
    while True:
        rows = session.execute(
            select(WorkLogEntry)
            .where(WorkLogEntry.position > last_position)
            .order_by(WorkLogEntry.position)
            .limit(batch)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            if row.position != expected or row.prev_hash != prev_hash:
                return VerifyResult(False, checked, row.seq, "an entry before this one was deleted or moved")
            if _entry_hash(prev_hash, row) != row.hash:
                return VerifyResult(False, checked, row.seq, "entry content does not match its hash")
            prev_hash, expected, last_position, last_seq = row.hash, expected + 1, row.position, row.seq
            checked += 1
        session.expunge_all()
    head = session.get(WorkLogHead, 1)
    if head is not None and (head.position != last_position or head.hash != prev_hash):
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
