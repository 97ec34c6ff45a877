"""Rows of the idp nobody can use any more, and their removal (run by ``onenumber.purge``).

Each function deletes at most ``limit`` rows that are past use at ``now`` and returns how many it deleted;
the caller commits (and calls again while a batch comes back full). Deleting a row here never changes an
answer of the idp:

- a device code past ``expires_at`` only ever gets ``expired_token`` (RFC 8628 §3.5), used or not;
- an authorization code past ``expires_at`` is refused whether used or not (RFC 6749 §4.1.2);
- a refresh token past ``expires_at`` is refused before any reuse check (``refresh.py``);
- an access-token revocation row is kept until ``REVOCATION_GRACE`` after the token's own ``exp``: the
  revocation view (``revocations.py``) loads only rows whose ``expires_at`` is still ahead, and an expired
  token fails ``decode`` (no leeway) before anyone asks whether it was revoked;
- an SSO session is kept until every access token issued within it has expired too (a token naming a
  missing session counts as revoked, which must not happen to a token that is still valid): the longest
  token lifetime plus ``SSO_AFTERLIFE``, which covers codes and device codes approved just before the
  session ended and exchanged after;
- a password-reset code past ``expires_at`` is refused, used or not;
- a login-throttle row whose lock has run out, or whose counter is back to zero, counts exactly like no row
  (``throttle.reserve`` starts a fresh count on an expired lock);
- a device user-code throttle row untouched for longer than its forgetting time starts afresh anyway
  (``device.FORGET_AFTER``), whether or not it is there;
- a registration or proofing attempt older than a day no longer counts against its number
  (``proofing.service.DAY``); a proofing check past its expiry can no longer be confirmed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.settings import Settings
from idp.oauth.models import (
    AccessToken,
    AuthorizationCode,
    DeviceCode,
    DeviceThrottle,
    RefreshToken,
    SessionClient,
    SsoSession,
)
from idp.parties.models import LoginThrottle, NumberAttempt, ProofingCheck, ResetCode

# Clocks of several instances differ a little: a revocation outlives its token by this much.
REVOCATION_GRACE = timedelta(seconds=60)
# Tokens can still be issued naming a session shortly after it ended (a device code approved within it is
# polled up to RFC 8628's expires_in later): keep the session well beyond that.
SSO_AFTERLIFE = timedelta(hours=1)

__all__ = [
    "REVOCATION_GRACE",
    "SSO_AFTERLIFE",
    "access_token_revocations",
    "authorization_codes",
    "device_codes",
    "device_throttles",
    "number_attempts",
    "proofing_checks",
    "login_throttles",
    "refresh_tokens",
    "reset_codes",
    "sso_sessions",
]


def _delete(
    session: Session, key: InstrumentedAttribute[object], condition: ColumnElement[bool], limit: int
) -> int:
    """Delete up to ``limit`` rows of ``key``'s table matching ``condition``; how many were deleted."""
    target = select(key).where(condition).limit(limit)
    stmt = delete(key.class_).where(key.in_(target)).execution_options(synchronize_session=False)
    return int(getattr(session.execute(stmt), "rowcount", 0) or 0)


def device_codes(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete device codes past their expiry (pending, approved, denied or used alike)."""
    return _delete(session, DeviceCode.device_code_hash, DeviceCode.expires_at <= now, limit)


def authorization_codes(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete authorization codes past their expiry (used or not)."""
    return _delete(session, AuthorizationCode.code_hash, AuthorizationCode.expires_at <= now, limit)


def refresh_tokens(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete refresh tokens past their expiry (used, revoked or never used)."""
    return _delete(session, RefreshToken.id, RefreshToken.expires_at <= now, limit)


def access_token_revocations(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete revocations of access tokens that expired more than ``REVOCATION_GRACE`` ago."""
    return _delete(session, AccessToken.jti, AccessToken.expires_at < now - REVOCATION_GRACE, limit)


def sso_sessions(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete SSO sessions (and their client list) whose tokens have all expired as well."""
    longest_token = timedelta(seconds=max(settings.access_token_ttl, settings.id_token_ttl))
    cutoff = now - longest_token - SSO_AFTERLIFE
    sids = list(session.scalars(select(SsoSession.sid).where(SsoSession.expires_at < cutoff).limit(limit)))
    if not sids:
        return 0
    session.execute(
        delete(SessionClient).where(SessionClient.sid.in_(sids)).execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(SsoSession)
        .where(SsoSession.sid.in_(sids), SsoSession.expires_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def reset_codes(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete password-reset codes past their expiry (used or not)."""
    return _delete(session, ResetCode.id, ResetCode.expires_at <= now, limit)


def login_throttles(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete throttle rows that count like no row: an expired lock, or no failures and no lock."""
    spent = or_(
        LoginThrottle.locked_until <= now,
        and_(LoginThrottle.locked_until.is_(None), LoginThrottle.failures <= 0),
    )
    return _delete(session, LoginThrottle.key, spent, limit)


def device_throttles(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete device user-code throttle rows past their forgetting time and with no wait running."""
    from idp.oauth.device import FORGET_AFTER  # (device loads the OAuth server; only this purge needs it)

    spent = and_(
        DeviceThrottle.updated_at <= now - FORGET_AFTER,
        or_(DeviceThrottle.locked_until.is_(None), DeviceThrottle.locked_until <= now),
    )
    return _delete(session, DeviceThrottle.key, spent, limit)


def number_attempts(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete registration and proofing attempts older than the day they count in."""
    return _delete(session, NumberAttempt.id, NumberAttempt.created_at < now - timedelta(days=1), limit)


def proofing_checks(*, session: Session, settings: Settings, now: datetime, limit: int) -> int:
    """Delete proofing checks that expired more than a day ago (their outcome is on the person)."""
    return _delete(session, ProofingCheck.id, ProofingCheck.expires_at < now - timedelta(days=1), limit)
