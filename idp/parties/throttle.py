"""Per-account and per-address login throttling that stays exact under parallel attempts.

Each failure is one atomic ``UPDATE … SET failures = failures + 1 … RETURNING``; the statement that
reaches the limit sets ``locked_until``. SQLite serialises writers, PostgreSQL locks the row.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from idp.parties.models import LoginThrottle
from onenumber.db import utcnow
from onenumber.settings import Settings

# Addresses are shared (NAT, the hall's kiosks): allow many more failures per address than per account.
ADDRESS_FACTOR = 10


def _limit(key: str, settings: Settings) -> int:
    return settings.login_max_failures * (ADDRESS_FACTOR if key.startswith("address:") else 1)


def is_locked(*, session: Session, keys: list[str]) -> bool:
    """True when any of ``keys`` is locked now."""
    now = utcnow()
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    return any(row.locked_until is not None and row.locked_until > now for row in rows)


def _ensure_rows(session: Session, keys: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for key in keys:
        stmt = insert(LoginThrottle).values(key=key, failures=0, updated_at=utcnow())
        session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


def record_failure(*, session: Session, settings: Settings, keys: list[str]) -> bool:
    """Count one failure against each key (atomically); True when this failure locked one of them."""
    _ensure_rows(session, keys)
    now = utcnow()
    locked_now = False
    for key in keys:
        limit = _limit(key, settings)
        # A lock that has run out starts a fresh count.
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.locked_until.is_not(None), LoginThrottle.locked_until <= now)
            .values(failures=0, locked_until=None)
        )
        failures = session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(failures=LoginThrottle.failures + 1, updated_at=now)
            .returning(LoginThrottle.failures)
        ).scalar_one()
        if failures == limit:
            session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key)
                .values(locked_until=now + timedelta(seconds=settings.lockout_seconds))
            )
            locked_now = True
    return locked_now


def reset(*, session: Session, keys: list[str]) -> None:
    """Clear the counters after a successful login."""
    session.execute(update(LoginThrottle).where(LoginThrottle.key.in_(keys)).values(failures=0, locked_until=None))
