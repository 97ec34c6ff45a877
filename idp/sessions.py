"""SSO sessions at the idp: created at login, read from the cookie, listed and revoked by the holder."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import utcnow
from idp.oauth.models import RefreshToken, SessionClient, SsoSession
from idp.parties.models import Person

COOKIE_NAME = "idp_session"
SESSION_TTL = timedelta(hours=12)
ACR_RANK = {"low": 1, "substantial": 2, "high": 3}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def acr_for(person: Person, amr: list[str]) -> str:
    """Level of a login: the person's identity-proofing level (idp/proofing), never above it.

    ``low`` self-asserted, ``substantial`` real-name verified by a proofing provider, ``high`` proofed in
    person (or with liveness) *and* a second factor (OTP) in this session: a high-proofed person signing in
    with the password only gets ``substantial``. A second factor never raises the level above the proofing.
    """
    level = person.assurance if person.assurance in ACR_RANK else "low"
    if level == "high" and "otp" not in amr:
        return "substantial"
    return level


def create(
    *,
    session: Session,
    person: Person,
    amr: list[str],
    user_agent: str | None = None,
    address: str | None = None,
) -> tuple[SsoSession, str]:
    """Start an SSO session; return it and the cookie value (``sid.secret``)."""
    sid, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    now = utcnow()
    row = SsoSession(
        sid=sid,
        secret_hash=_hash(secret),
        person_id=person.id,
        acr=acr_for(person, amr),
        amr=amr,
        auth_time=now,
        user_agent=(user_agent or "")[:300] or None,
        address=address,
        expires_at=now + SESSION_TTL,
    )
    session.add(row)
    session.flush()
    return row, f"{sid}.{secret}"


def from_cookie(*, session: Session, cookie: str | None) -> SsoSession | None:
    """The live session named by the cookie, or None."""
    if not cookie or "." not in cookie:
        return None
    sid, secret = cookie.split(".", 1)
    row = session.get(SsoSession, sid)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    if row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


def is_live(*, session: Session, sid: str) -> bool:
    """True when the session exists, is not revoked and has not expired."""
    return row_is_live(session.get(SsoSession, sid))


def row_is_live(row: SsoSession | None) -> bool:
    """True when ``row`` is a session that is not revoked and has not expired."""
    return row is not None and row.revoked_at is None and row.expires_at > utcnow()


def step_up(*, session: Session, row: SsoSession, person: Person, method: str) -> SsoSession:
    """Add an authentication method (e.g. ``otp``) to the session, raising its acr."""
    amr = sorted(set(row.amr) | {method})
    row.amr = amr
    row.acr = acr_for(person, amr)
    row.auth_time = utcnow()
    session.flush()
    return row


def set_act_for(*, session: Session, row: SsoSession, act_for: dict[str, Any] | None) -> None:
    """Record the organisation picked at login (None: acting as oneself)."""
    row.act_for = act_for
    session.flush()


def renew_secret(*, session: Session, row: SsoSession) -> str:
    """A new cookie value for the session at a privilege change (step-up, acting for an organisation): the
    old cookie stops working. The ``sid`` stays, as the tokens already issued within the session name it."""
    secret = secrets.token_urlsafe(24)
    row.secret_hash = _hash(secret)
    session.flush()
    return f"{row.sid}.{secret}"


@lru_cache(maxsize=4)
def _note_client_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, SessionClient.__table__)
    return (
        insert(table)
        .values(sid=bindparam("note_sid"), client_id=bindparam("note_client_id"))
        .on_conflict_do_nothing(index_elements=[table.c.sid, table.c.client_id])
    )


def note_client(*, session: Session, sid: str, client_id: str) -> None:
    """Remember that ``client_id`` holds tokens of this session (for back-channel logout).

    One ``INSERT … ON CONFLICT DO NOTHING`` on the (sid, client_id) unique constraint: one round trip on
    every code exchange, and two parallel exchanges of one session can no longer collide on the insert.
    """
    stmt = _note_client_statement(session.get_bind().dialect.name)
    session.execute(stmt, {"note_sid": sid, "note_client_id": client_id})


def clients_of(*, session: Session, sid: str) -> list[str]:
    """Client ids that received tokens within the session."""
    return list(session.scalars(select(SessionClient.client_id).where(SessionClient.sid == sid)))


def list_for(*, session: Session, person: Person) -> list[SsoSession]:
    """Live sessions of a person, newest first."""
    return list(
        session.scalars(
            select(SsoSession)
            .where(
                SsoSession.person_id == person.id,
                SsoSession.revoked_at.is_(None),
                SsoSession.expires_at > utcnow(),
            )
            .order_by(SsoSession.created_at.desc())
        )
    )


def revoke(*, session: Session, row: SsoSession, at: datetime | None = None) -> None:
    """End a session and every refresh token issued within it (access tokens die with the sid check)."""
    at = at or utcnow()
    row.revoked_at = at
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.sid == row.sid, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    session.flush()
