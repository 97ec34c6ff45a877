"""Server-side web sessions: a signed random id in an HttpOnly cookie, the state encrypted in the database.

Idle expiry is enforced here (not only by the page's JavaScript): a kiosk left alone is logged out even if
its browser never runs the timer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from channels.models import WebSession
from core.clock import utcnow
from core.crypto import blind_index, decrypt_str, encrypt_str
from core.settings import Settings

CONTEXT = "channels.session"
CHANNELS: dict[str, dict[str, Any]] = {
    # cookie name, idle timeout, absolute lifetime
    "hall": {"cookie": "hall_session", "idle": 30 * 60, "absolute": 12 * 3600},
    "kiosk": {"cookie": "kiosk_session", "idle": 120, "absolute": 30 * 60},
}


def cookie_name(channel: str) -> str:
    """The cookie that carries the session id of ``channel``."""
    return str(CHANNELS[channel]["cookie"])


def idle_seconds(channel: str) -> int:
    """Seconds of inactivity after which a session of ``channel`` ends."""
    return int(CHANNELS[channel]["idle"])


def _mac(raw: str, settings: Settings) -> str:
    return blind_index(raw, master_key=settings.secret_key, context=CONTEXT)[:32]


def _row_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class WebState:
    """A loaded session: its row id, channel and mutable data (saved with :func:`save`)."""

    row_id: str
    channel: str
    data: dict[str, Any] = field(default_factory=dict)


def create(
    *, session: Session, settings: Settings, channel: str, data: dict[str, Any]
) -> tuple[WebState, str]:
    """Start a session; returns it and the cookie value to set."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    spec = CHANNELS[channel]
    row = WebSession(
        id=_row_id(raw),
        channel=channel,
        data_cipher=encrypt_str(json.dumps(data), master_key=settings.secret_key, context=CONTEXT),
        idle_seconds=int(spec["idle"]),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=int(spec["absolute"])),
    )
    session.add(row)
    session.flush()
    return WebState(row_id=row.id, channel=channel, data=data), f"{raw}.{_mac(raw, settings)}"


def load(*, session: Session, settings: Settings, channel: str, cookie: str | None) -> WebState | None:
    """The live session named by ``cookie`` (and mark it active), or None when missing, forged or expired."""
    if not cookie or "." not in cookie:
        return None
    raw, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(raw, settings)):
        return None
    row = session.get(WebSession, _row_id(raw))
    if row is None or row.channel != channel:
        return None
    now = utcnow()
    if row.expires_at <= now or (now - row.last_seen_at).total_seconds() > row.idle_seconds:
        session.delete(row)
        session.flush()
        return None
    row.last_seen_at = now
    data = json.loads(decrypt_str(row.data_cipher, master_key=settings.secret_key, context=CONTEXT))
    return WebState(row_id=row.id, channel=channel, data=data)


def save(*, session: Session, settings: Settings, state: WebState) -> None:
    """Write the session's data back."""
    row = session.get(WebSession, state.row_id)
    if row is not None:
        row.data_cipher = encrypt_str(json.dumps(state.data), master_key=settings.secret_key, context=CONTEXT)
        session.flush()


def rotate(*, session: Session, settings: Settings, state: WebState) -> tuple[WebState, str]:
    """The same data under a new session id (privilege change: login, act-for switch); the old id dies.

    A cookie planted in the browser before login (session fixation) names a row that no longer exists
    once the user has signed in, so whoever planted it learns nothing.
    """
    destroy(session=session, state=state)
    return create(session=session, settings=settings, channel=state.channel, data=state.data)


def destroy(*, session: Session, state: WebState | None) -> None:
    """End a session."""
    if state is not None:
        session.execute(delete(WebSession).where(WebSession.id == state.row_id))
        session.flush()


def purge_expired(*, session: Session, now: datetime | None = None, limit: int | None = None) -> int:
    """Delete sessions past their absolute expiry or idle too long (``load`` refuses them anyway), at most
    ``limit`` of them; returns how many. This also removes abandoned sign-in flows: the hall keeps a flow's
    state, nonce and PKCE verifier in the browser's session until the callback."""
    now = now or utcnow()
    # Each row carries its channel's idle limit: one condition per distinct limit (a handful) keeps the
    # comparison plain on SQLite and PostgreSQL alike.
    limits = session.scalars(select(WebSession.idle_seconds).distinct()).all()
    idle = [
        and_(WebSession.idle_seconds == s, WebSession.last_seen_at < now - timedelta(seconds=s)) for s in limits
    ]
    dead = or_(WebSession.expires_at <= now, *idle)
    target = select(WebSession.id).where(dead)
    if limit is not None:
        target = target.limit(limit)
    result = session.execute(
        delete(WebSession).where(WebSession.id.in_(target)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
