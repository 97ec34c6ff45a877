"""Per-account and per-address login throttling that stays exact under parallel attempts.

An attempt first *reserves* a slot with one atomic upsert per key (``INSERT … ON CONFLICT (key) DO
UPDATE SET failures = failures + 1 WHERE <not locked> AND failures < limit RETURNING failures``, an
expired lock counting as a fresh start), committed before the slow password check, so at most ``limit``
attempts are ever checked; the attempt holding the last slot locks the key if its password was wrong, and
a correct password clears the counter. SQLite serialises writers; PostgreSQL row-locks the counter.

The statements are Core statements on the table, built once: this runs on every login, and the ORM's
bulk-update path (statement building, session synchronisation) cost more CPU than the database did.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from idp.parties.models import LoginThrottle
from onenumber.db import utcnow
from onenumber.settings import Settings

# Addresses are shared (NAT, the hall's kiosks): allow many more failures per address than per account.
ADDRESS_FACTOR = 10
_TABLE = cast(Table, LoginThrottle.__table__)
_KEY = bindparam("throttle_key", type_=_TABLE.c.key.type)
_NOW = bindparam("throttle_now", type_=_TABLE.c.updated_at.type)
_LIMIT = bindparam("throttle_limit", type_=_TABLE.c.failures.type)
_CLEAR_ACCOUNT = update(_TABLE).where(_TABLE.c.key == _KEY).values(failures=0, locked_until=None)
_RETURN_ADDRESS_SLOT = update(_TABLE).where(_TABLE.c.key == _KEY).values(failures=_TABLE.c.failures - 1)
_UNTIL = bindparam("throttle_until", type_=_TABLE.c.locked_until.type)
_LOCK = update(_TABLE).where(_TABLE.c.key == _KEY).values(locked_until=_UNTIL)


def limit_for(key: str, settings: Settings) -> int:
    """Failures allowed before ``key`` locks."""
    return settings.login_max_failures * (ADDRESS_FACTOR if key.startswith("address:") else 1)


@lru_cache(maxsize=4)
def _reserve_statement(dialect: str) -> Any:
    """The slot upsert for ``dialect`` (PostgreSQL or SQLite, both have ON CONFLICT … DO UPDATE … WHERE)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    t = _TABLE
    expired = t.c.locked_until <= _NOW  # NULL (never locked) is not expired
    stmt = insert(t).values(key=_KEY, failures=1, updated_at=_NOW)
    return stmt.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={
            "failures": case((expired, 1), else_=t.c.failures + 1),
            "locked_until": case((expired, None), else_=t.c.locked_until),
            "updated_at": _NOW,
        },
        where=or_(t.c.locked_until.is_(None), expired) & (case((expired, 0), else_=t.c.failures) < _LIMIT),
    ).returning(t.c.failures)


def reserve(*, session: Session, settings: Settings, keys: list[str]) -> dict[str, int] | None:
    """Reserve one attempt on every key; None when any key is locked or has no slot left.

    Returns the slot number taken on each key. The caller commits before checking the password.
    """
    stmt = _reserve_statement(session.get_bind().dialect.name)
    now = utcnow()
    slots: dict[str, int] = {}
    for key in keys:
        limit = limit_for(key, settings)
        params = {"throttle_key": key, "throttle_now": now, "throttle_limit": limit}
        slot = session.execute(stmt, params).scalar_one_or_none() if limit > 0 else None
        if slot is None:
            return None
        slots[key] = slot
    return slots


def record_failure(*, session: Session, settings: Settings, slots: dict[str, int]) -> bool:
    """The reserved attempts failed: lock each key whose last slot this was; True if any locked."""
    locked = False
    for key, slot in slots.items():
        if slot >= limit_for(key, settings):
            until = utcnow() + timedelta(seconds=settings.lockout_seconds)
            session.execute(_LOCK, {"throttle_key": key, "throttle_until": until})
            locked = locked or key.startswith("account:")
    return locked


def release(*, session: Session, slots: dict[str, int]) -> None:
    """The reserved attempt succeeded: clear the account counter and hand back the address slot."""
    for key in slots:  # one row at a time, in reserve's order: a multi-row UPDATE may lock in another
        stmt = _CLEAR_ACCOUNT if key.startswith("account:") else _RETURN_ADDRESS_SLOT
        session.execute(stmt, {"throttle_key": key})
