"""Removal of rows past their use (issue 15): every package's purge, run on a schedule and by ``onenumber purge``.

What goes (each package's module says why removing it changes no answer):

- ``channels.sessions``: web sessions past their absolute expiry or idle limit, and with them the hall's
  abandoned sign-in flows (state, nonce and PKCE verifier live in the browser's session until the callback);
- ``idp.purge``: expired device codes, authorization codes, refresh tokens and password-reset codes,
  access-token revocations of tokens that have expired, SSO sessions whose tokens have all expired, spent
  login-throttle rows; back-channel logout deliveries delivered a week ago or dead a month ago
  (``ONENUMBER_BACKCHANNEL_KEEP_*``).

Login tickets (``idp.web.flow``) are signed values with their own expiry, never stored: nothing to purge.

Each task deletes ``BATCH`` rows at a time, one short transaction each, so a large backlog never holds
locks for long. Several instances may purge at once: on PostgreSQL each batch first takes a transaction
advisory lock without waiting, and an instance that does not get it leaves this round to the one that did
(two DELETEs of overlapping rows in different orders could otherwise deadlock); SQLite has one writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from channels import sessions as web_sessions
from core.clock import utcnow
from core.settings import Settings
from idp import purge as idp_purge
from idp.backchannel import get_backchannel_settings
from idp.backchannel import outbox as logout_outbox

log = logging.getLogger("onenumber.purge")

BATCH = 1000
LOCK_KEY = 0x4F4E_5055_5247_45  # pg advisory lock key of the purge ("ONPURGE")

# (session, settings, now, limit) -> rows deleted; the caller commits.
PurgeTask = Callable[[Session, Settings, datetime, int], int]

__all__ = ["BATCH", "PurgeReport", "run", "run_periodically", "tasks"]


@dataclass(frozen=True)
class PurgeReport:
    """Rows deleted per table; ``skipped`` when another instance was purging and this one left it."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: bool = False

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return sum(self.counts.values())


def tasks() -> list[tuple[str, PurgeTask]]:
    """Every purge, named by its table, in the order they run (children before parents)."""
    def web(session: Session, settings: Settings, now: datetime, limit: int) -> int:
        return web_sessions.purge_expired(session=session, now=now, limit=limit)

    def logout_deliveries(session: Session, settings: Settings, now: datetime, limit: int) -> int:
        return logout_outbox.purge_finished(session=session, settings=get_backchannel_settings(), now=now, limit=limit)

    def idp(fn: Callable[..., int]) -> PurgeTask:
        return lambda session, settings, now, limit: fn(session=session, settings=settings, now=now, limit=limit)

    return [
        ("wallet_web_session", web),
        ("idp_device_code", idp(idp_purge.device_codes)),
        ("idp_authorization_code", idp(idp_purge.authorization_codes)),
        ("idp_refresh_token", idp(idp_purge.refresh_tokens)),
        ("idp_access_token", idp(idp_purge.access_token_revocations)),
        ("idp_sso_session", idp(idp_purge.sso_sessions)),
        ("idp_reset_code", idp(idp_purge.reset_codes)),
        ("idp_login_throttle", idp(idp_purge.login_throttles)),
        ("idp_device_throttle", idp(idp_purge.device_throttles)),
        ("idp_number_attempt", idp(idp_purge.number_attempts)),
        ("idp_proofing_check", idp(idp_purge.proofing_checks)),
        ("idp_logout_delivery", logout_deliveries),
    ]


def _take_turn(session: Session) -> bool:
    """True when this instance may purge now (always on SQLite; the advisory lock on PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar())


def run(*, session: Session, settings: Settings, now: datetime | None = None, batch: int = BATCH) -> PurgeReport:
    """Run every purge once, committing after each batch; the rows deleted per table."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    for name, task in tasks():
        counts[name] = 0
        while True:
            if not _take_turn(session):
                session.rollback()
                return PurgeReport(counts=counts, skipped=True)
            deleted = task(session, settings, now, batch)
            session.commit()
            counts[name] += deleted
            if deleted < batch:
                break
    return PurgeReport(counts=counts)


async def run_periodically(factory: sessionmaker[Session], settings: Settings, interval: float) -> None:
    """Purge every ``interval`` seconds, forever (the app's lifespan starts and cancels this)."""

    def once() -> PurgeReport:
        with factory() as session:
            return run(session=session, settings=settings)

    while True:
        await asyncio.sleep(interval)
        try:
            report = await run_in_threadpool(once)
        except SQLAlchemyError as exc:  # the database may be briefly away; try again next round
            log.warning("purge failed: %s", type(exc).__name__)
            continue
        if report.total:
            log.info("purged %s", ", ".join(f"{n} {name}" for name, n in report.counts.items() if n))
