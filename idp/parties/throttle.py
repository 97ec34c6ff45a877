"""Progressive login delays per account, per known device and per address, exact under parallel attempts.

OWASP Authentication Cheat Sheet, "Account Lockout" and "Slow Down Online Guessing Attacks with Device
Cookies": https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html

Nothing ever locks hard. A key (``account:<index>``, ``device:<hash>`` or ``address:<hash>``) counts the
attempts of a sliding window: a row whose last attempt is older than ``lockout_seconds`` starts afresh. The
first ``limit`` attempts are free; after that each attempt must wait ``FIRST_DELAY * 2**excess`` seconds
(capped at the window) after the previous one, and a correct password after the wait works as always.

An attempt *reserves* its slot with one atomic upsert per key (``INSERT … ON CONFLICT (key) DO UPDATE SET
failures = failures + 1, updated_at = now WHERE <window over> OR failures < limit OR updated_at <= now -
delay(failures - limit) RETURNING failures``), committed before the slow password check. Taking the slot
moves ``updated_at``, so of parallel attempts past the free ones exactly one passes each delay. A correct
password clears an account or device counter and hands back the address slot. SQLite serialises writers;
PostgreSQL row-locks the counter. ``locked_until`` holds the end of the row's window (what the purge reads:
past it the row counts like no row).

An address never refuses by itself (a balancer or a NAT carries many people): once it has more than
``limit * ADDRESS_FACTOR`` failures in the window, attempts from it get a single free attempt per account,
so a stranger there is slowed on every account he tried while people whose accounts nobody tried log in at
once. A browser with a valid device cookie of the account is counted on its own ``device:`` key instead of
the account's, so the strangers' failures do not slow the owner.

The statements are Core statements on the table, built once: this runs on every login, and the ORM's
bulk-update path (statement building, session synchronisation) cost more CPU than the database did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from idp.errors import AccountLocked
from idp.parties.models import LoginThrottle

# Addresses are shared (NAT, the hall's kiosks): allow many more failures per address than per account.
ADDRESS_FACTOR = 10
# The first delay after the free attempts; each further attempt doubles it, up to the window.
FIRST_DELAY = 1.0
DELAYED_MESSAGE = "尝试次数过多，请稍后再试"
_NO_LIMIT = 2**31 - 1  # an address only counts, it never refuses
_TABLE = cast(Table, LoginThrottle.__table__)
_KEY = bindparam("throttle_key", type_=_TABLE.c.key.type)
_NOW = bindparam("throttle_now", type_=_TABLE.c.updated_at.type)
_STALE = bindparam("throttle_stale", type_=_TABLE.c.updated_at.type)
_UNTIL = bindparam("throttle_until", type_=_TABLE.c.locked_until.type)
_LIMIT = bindparam("throttle_limit", type_=_TABLE.c.failures.type)
_CLEAR = update(_TABLE).where(_TABLE.c.key == _KEY).values(failures=0, locked_until=None)
_RETURN_SLOT = update(_TABLE).where(_TABLE.c.key == _KEY).values(failures=_TABLE.c.failures - 1)
_READ = select(_TABLE.c.failures, _TABLE.c.updated_at).where(_TABLE.c.key == _KEY)


class LoginDelayed(AccountLocked):
    """Too many recent failures: the next attempt is allowed in ``retry_after`` seconds."""

    def __init__(self, message: str = DELAYED_MESSAGE, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Reservation:
    """The slots one attempt took (key → slot number) and the free attempts of each key."""

    slots: dict[str, int] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)


def limit_for(key: str, settings: Settings) -> int:
    """Free attempts of ``key`` within the window (for an address: before it counts as suspicious)."""
    return settings.login_max_failures * (ADDRESS_FACTOR if key.startswith("address:") else 1)


def delay_for(excess: int, settings: Settings) -> float:
    """Seconds an attempt waits after the previous one when the key is ``excess`` past its free attempts."""
    return min(FIRST_DELAY * 2 ** min(excess, 62), float(settings.lockout_seconds))


def _levels(settings: Settings) -> int:
    """How many distinct delays there are below the window (beyond them the wait is the whole window)."""
    window = max(settings.lockout_seconds, 1)
    return max(1, math.ceil(math.log2(max(window / FIRST_DELAY, 1.0))) + 1)


@lru_cache(maxsize=8)
def _reserve_statement(dialect: str, levels: int) -> Any:
    """The slot upsert for ``dialect`` (PostgreSQL or SQLite, both have ON CONFLICT … DO UPDATE … WHERE)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    t = _TABLE
    stale = t.c.updated_at <= _STALE  # the window passed since the last attempt: a fresh start
    excess = t.c.failures - _LIMIT
    # "The previous attempt was long enough ago": one bound per delay level, computed by the caller, so
    # that no dialect-specific date arithmetic runs in the database.
    waited = t.c.updated_at <= case(
        *[(excess == literal(n), bindparam(f"throttle_t{n}", type_=t.c.updated_at.type)) for n in range(levels)],
        else_=_STALE,
    )
    stmt = insert(t).values(key=_KEY, failures=1, updated_at=_NOW, locked_until=_UNTIL)
    return stmt.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={
            "failures": case((stale, 1), else_=t.c.failures + 1),
            "locked_until": _UNTIL,
            "updated_at": _NOW,
        },
        where=or_(stale, t.c.failures < _LIMIT, waited),
    ).returning(t.c.failures)


def _take(session: Session, settings: Settings, key: str, limit: int, now: datetime) -> int | None:
    """Take one slot on ``key``; its number, or None while the key must wait."""
    levels = _levels(settings)
    window = timedelta(seconds=settings.lockout_seconds)
    params: dict[str, Any] = {
        "throttle_key": key,
        "throttle_now": now,
        "throttle_stale": now - window,
        "throttle_until": now + window,
        "throttle_limit": limit,
    }
    for n in range(levels):
        params[f"throttle_t{n}"] = now - timedelta(seconds=delay_for(n, settings))
    stmt = _reserve_statement(session.get_bind().dialect.name, levels)
    slot: int | None = session.execute(stmt, params).scalar_one_or_none()
    return slot


def _wait(session: Session, settings: Settings, key: str, limit: int, now: datetime) -> int:
    """Whole seconds until ``key`` takes an attempt again (at least 1)."""
    row = session.execute(_READ, {"throttle_key": key}).one_or_none()
    if row is None:
        return 1
    due = row.updated_at + timedelta(seconds=delay_for(row.failures - limit, settings))
    return max(1, math.ceil((due - now).total_seconds()))


def reserve(*, session: Session, settings: Settings, keys: list[str]) -> Reservation:
    """Reserve one attempt on every key, the address first; raise LoginDelayed while one must wait.

    The caller commits before checking the password. A refused attempt takes no slot on any key.
    """
    now = utcnow()
    reservation = Reservation()
    suspicious = False
    for key in sorted(keys, key=lambda k: not k.startswith("address:")):
        if key.startswith("address:"):
            limit = limit_for(key, settings)
            slot = _take(session, settings, key, _NO_LIMIT, now) if limit > 0 else None
            if slot is None:  # address counting off
                continue
            suspicious = slot > limit
        else:
            limit = 1 if suspicious and key.startswith("account:") else limit_for(key, settings)
            slot = _take(session, settings, key, limit, now)
            if slot is None:
                wait = _wait(session, settings, key, limit, now)
                release(session=session, reservation=reservation)  # hand back the address slot
                raise LoginDelayed(retry_after=wait)
        reservation.slots[key] = slot
        reservation.limits[key] = limit
    return reservation


def record_failure(*, session: Session, settings: Settings, reservation: Reservation) -> int:
    """The reserved attempt failed (its slots stay taken); seconds the account or device now waits, 0 if none."""
    waits = [
        delay_for(slot - reservation.limits[key], settings)
        for key, slot in reservation.slots.items()
        if not key.startswith("address:") and slot >= reservation.limits[key]
    ]
    return math.ceil(max(waits)) if waits else 0


def release(*, session: Session, reservation: Reservation) -> None:
    """The reserved attempt succeeded: clear the account or device counter and hand back the address slot."""
    for key in reservation.slots:  # one row at a time, in reserve's order: a multi-row UPDATE may lock in another
        stmt = _RETURN_SLOT if key.startswith("address:") else _CLEAR
        session.execute(stmt, {"throttle_key": key})
