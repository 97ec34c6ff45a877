"""Back-Channel Logout 1.0 §2.5–2.8, made durable: the outbox of logout tokens and their delivery.

https://openid.net/specs/openid-connect-backchannel-1_0.html

The row is the source of truth (models.py). Any instance delivers any row: a *claim* moves a due row's
``next_attempt_at`` a lease ahead and counts the attempt, in one conditional ``UPDATE … RETURNING`` (on
PostgreSQL the candidates are first picked with ``FOR UPDATE SKIP LOCKED``, so instances polling together
take disjoint rows without waiting on each other; SQLite has one writer and the condition alone decides).
The POST happens after that commit, with no transaction open; its outcome is written back only by the claim
that made it (``attempts`` fences a late outcome after the lease ran out and another instance took over).
An instance killed mid-POST leaves the row to whoever claims it when the lease ends.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from idp.backchannel.models import DEAD, DELIVERED, PENDING, LogoutDelivery
from idp.backchannel.settings import BackchannelSettings
from idp.errors import IdpError, NotFound
from idp.keys.service import KeyRing
from idp.tokens import sign

log = logging.getLogger(__name__)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_LIFETIME = 120  # seconds; §2.4 leaves it to the OP, short since each attempt signs a new token


class Post(Protocol):
    """What sends a request (``httpx.post`` or a client's ``post``)."""

    def __call__(self, url: str, *, data: dict[str, str], timeout: float, headers: dict[str, str]) -> Any: ...


@dataclass(frozen=True)
class Claim:
    """One claimed attempt at a row: what is needed to sign and send it, and the fence of its outcome."""

    id: int
    client_id: str
    uri: str
    claims: dict[str, Any]
    alg: str
    attempts: int
    give_up_at: datetime


def enqueue(
    *, session: Session, settings: Settings, client_id: str, uri: str, alg: str, sub: str, sid: str,
    give_up_after: float, now: datetime | None = None,
) -> LogoutDelivery:
    """Add a due delivery to the session's transaction (the one that ends the SSO session); not committed."""
    now = now or utcnow()
    row = LogoutDelivery(
        client_id=client_id,
        sid=sid,
        uri=uri,
        alg=alg,
        # §2.4: the lasting claims; iat, exp and jti are added when it is sent (sign_token)
        claims={"iss": settings.issuer, "aud": client_id, "sub": sub, "sid": sid, "events": {BACKCHANNEL_EVENT: {}}},
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        give_up_at=now + timedelta(seconds=give_up_after),
        created_at=now,
    )
    session.add(row)
    return row


def sign_token(claims: dict[str, Any], *, keyring: KeyRing, alg: str) -> str:
    """§2.4: a logout token (typ ``logout+jwt``) with a fresh iat, exp and jti; no nonce."""
    now = int(time.time())
    fresh = {**claims, "iat": now, "exp": now + TOKEN_LIFETIME, "jti": secrets.token_urlsafe(16)}
    return sign(fresh, keyring=keyring, alg=alg, typ="logout+jwt")


def claim(
    *, session: Session, lease: float, limit: int = 8, ids: list[int] | None = None, now: datetime | None = None
) -> list[Claim]:
    """Claim up to ``limit`` due pending rows (only ``ids`` if given) and commit the claim."""
    now = now or utcnow()
    due = (LogoutDelivery.state == PENDING, LogoutDelivery.next_attempt_at <= now)
    pick = select(LogoutDelivery.id).where(*due)
    if ids is not None:
        pick = pick.where(LogoutDelivery.id.in_(ids))
    # SKIP LOCKED: rows another instance is claiming right now are left to it (SQLite: no FOR UPDATE)
    pick = pick.order_by(LogoutDelivery.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    candidates = list(session.scalars(pick))
    if not candidates:
        session.rollback()
        return []
    result = session.execute(
        update(LogoutDelivery)
        .where(LogoutDelivery.id.in_(candidates), *due)  # the condition decides on SQLite
        .values(attempts=LogoutDelivery.attempts + 1, next_attempt_at=now + timedelta(seconds=lease))
        .returning(
            LogoutDelivery.id, LogoutDelivery.client_id, LogoutDelivery.uri, LogoutDelivery.claims,
            LogoutDelivery.alg, LogoutDelivery.attempts, LogoutDelivery.give_up_at,
        )
        .execution_options(synchronize_session=False)
    )
    claims = [Claim(*row) for row in result]
    session.commit()
    return claims


def send(claimed: Claim, *, keyring: KeyRing, timeout: float, post: Post | None = None) -> str | None:
    """§2.5: POST the freshly signed token as ``logout_token``; None on 2xx, else a short reason (no secrets:
    the status, or the kind of network failure, never the URL or the token)."""
    token = sign_token(claimed.claims, keyring=keyring, alg=claimed.alg)
    try:
        response = (post or httpx.post)(
            claimed.uri, data={"logout_token": token}, timeout=timeout, headers={"Cache-Control": "no-store"}
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
        return type(exc).__name__
    if 200 <= response.status_code < 300:  # §2.8: 200 (204 seen too); anything else is retried
        return None
    return f"HTTP {response.status_code}"


def backoff(attempts: int, *, settings: BackchannelSettings, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: base doubling to max, ±25 % jitter
    (so relying parties that come back are not hit by every instance's backlog at once)."""
    delay = min(settings.backchannel_retry_base * 2 ** min(attempts - 1, 30), settings.backchannel_retry_max)
    return delay * (rng or random).uniform(0.75, 1.25)


def record(
    *, session: Session, claimed: Claim, error: str | None, settings: BackchannelSettings,
    now: datetime | None = None, rng: random.Random | None = None,
) -> str:
    """Write an attempt's outcome and commit; the row's state after it (``pending`` again on a retry)."""
    now = now or utcnow()
    row = LogoutDelivery
    if error is None:  # delivered, even if a late claim of ours was overtaken: the RP has it
        session.execute(
            update(row).where(row.id == claimed.id, row.state == PENDING)
            .values(state=DELIVERED, finished_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        log.info("back-channel logout %s to %s delivered (attempt %s)", claimed.id, claimed.client_id, claimed.attempts)
        return DELIVERED
    dead = claimed.attempts >= settings.backchannel_max_attempts or now >= claimed.give_up_at
    values: dict[str, Any] = {"last_error": error[:200]}
    if dead:
        values.update(state=DEAD, finished_at=now)
    else:
        values["next_attempt_at"] = now + timedelta(seconds=backoff(claimed.attempts, settings=settings, rng=rng))
    session.execute(
        update(row).where(row.id == claimed.id, row.state == PENDING, row.attempts == claimed.attempts)
        .values(**values).execution_options(synchronize_session=False)
    )
    session.commit()
    if dead:
        log.warning("back-channel logout %s to %s is dead after %s attempts: %s",
                    claimed.id, claimed.client_id, claimed.attempts, error)
        return DEAD
    log.info("back-channel logout %s to %s failed (attempt %s): %s", claimed.id, claimed.client_id,
             claimed.attempts, error)
    return PENDING


def list_deliveries(*, session: Session, state: str | None = None, limit: int = 200) -> list[LogoutDelivery]:
    """Rows, newest first, of one state or all."""
    query = select(LogoutDelivery).order_by(LogoutDelivery.id.desc()).limit(limit)
    if state is not None:
        query = query.where(LogoutDelivery.state == state)
    return list(session.scalars(query))


def retry(
    *, session: Session, give_up_after: float, delivery_id: int | None = None, all_dead: bool = False,
    now: datetime | None = None,
) -> int:
    """Requeue one row (dead, or pending: brought forward) or every dead row with a fresh budget of attempts
    and time; the rows requeued. The caller commits."""
    now = now or utcnow()
    row = LogoutDelivery
    query = update(row).values(
        state=PENDING, attempts=0, next_attempt_at=now, give_up_at=now + timedelta(seconds=give_up_after),
        finished_at=None,
    ).execution_options(synchronize_session=False)
    if all_dead:
        return _rowcount(session.execute(query.where(row.state == DEAD)))
    if delivery_id is None:
        raise IdpError("name a delivery or --all-dead", field="id")
    found = session.get(row, delivery_id)
    if found is None:
        raise NotFound(f"no logout delivery {delivery_id}", field="id")
    if found.state == DELIVERED:
        raise IdpError(f"logout delivery {delivery_id} was delivered already", field="id")
    return _rowcount(session.execute(query.where(row.id == delivery_id)))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)  # a CursorResult's; Result does not declare it


def purge_finished(*, session: Session, settings: BackchannelSettings, now: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows delivered longer than keep_delivered ago or dead longer than keep_dead ago
    (nothing reads them again; dead ones stay long enough for an operator to look). The caller commits."""
    row = LogoutDelivery
    old = or_(
        (row.state == DELIVERED) & (row.finished_at < now - timedelta(seconds=settings.backchannel_keep_delivered)),
        (row.state == DEAD) & (row.finished_at < now - timedelta(seconds=settings.backchannel_keep_dead)),
    )
    ids = list(session.scalars(select(row.id).where(old).limit(limit)))
    if not ids:
        return 0
    session.execute(delete(row).where(row.id.in_(ids)).execution_options(synchronize_session=False))
    return len(ids)
