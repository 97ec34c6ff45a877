"""Per-account and per-address login throttling that stays exact under parallel attempts.

An attempt first *reserves* a slot with one atomic ``UPDATE … SET failures = failures + 1 WHERE
failures < limit AND not locked … RETURNING failures`` (committed before the slow password check), so
at most ``limit`` attempts are ever checked; the attempt holding the last slot locks the key if its
password was wrong, and a correct password clears the counter. SQLite serialises writers; PostgreSQL
row-locks the counter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from idp.parties.models import LoginThrottle
from onenumber.db import utcnow
from onenumber.settings import Settings

# Addresses are shared (NAT, the hall's kiosks): allow many more failures per address than per account.
ADDRESS_FACTOR = 10


def limit_for(key: str, settings: Settings) -> int:
    """Failures allowed before ``key`` locks."""
    return settings.login_max_failures * (ADDRESS_FACTOR if key.startswith("address:") else 1)


def _ensure_rows(session: Session, keys: list[str]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in keys:
        stmt = insert(LoginThrottle).values(key=key, failures=0, updated_at=utcnow())
        session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


def reserve(*, session: Session, settings: Settings, keys: list[str]) -> dict[str, int] | None:
    """Reserve one attempt on every key; None when any key is locked or has no slot left.

    Returns the slot number taken on each key. The caller commits before checking the password.
    """
    _ensure_rows(session, keys)
    now = utcnow()
    slots: dict[str, int] = {}
    for key in keys:
        session.execute(
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                LoginThrottle.locked_until.is_not(None),
                LoginThrottle.locked_until <= now,
            )
            .values(failures=0, locked_until=None)
        )
        slot = session.execute(
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                LoginThrottle.failures < limit_for(key, settings),
                or_(LoginThrottle.locked_until.is_(None), and_(LoginThrottle.locked_until <= now)),
            )
            .values(failures=LoginThrottle.failures + 1, updated_at=now)
            .returning(LoginThrottle.failures)
        ).scalar_one_or_none()
        if slot is None:
            return None
        slots[key] = slot
    return slots


def record_failure(*, session: Session, settings: Settings, slots: dict[str, int]) -> bool:
    """The reserved attempts failed: lock each key whose last slot this was; True if any locked."""
    locked = False
    for key, slot in slots.items():
        if slot >= limit_for(key, settings):
            session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key)
                .values(locked_until=utcnow() + timedelta(seconds=settings.lockout_seconds))
            )
            locked = locked or key.startswith("account:")
    return locked


def release(*, session: Session, slots: dict[str, int]) -> None:
    """The reserved attempt succeeded: clear the account counter and hand back the address slot."""
    for key in slots:
        if key.startswith("account:"):
            values: dict[str, Any] = {"failures": 0, "locked_until": None}
        else:
            values = {"failures": LoginThrottle.failures - 1}
        session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(**values))
