"""RFC 8628 — OAuth 2.0 Device Authorization Grant. https://www.rfc-editor.org/rfc/rfc8628

The kiosk asks for a device code (§3.1), shows ``verification_uri_complete`` as a QR code (§3.3.1),
the citizen confirms on a phone that is already logged in (/device), the kiosk polls /token (§3.4)
and is told ``authorization_pending``, ``slow_down`` (§3.5), ``access_denied`` or ``expired_token``.

Guessing user codes (§5.1 "User Code Brute Forcing") is bounded twice:

- per address: each wrong user code counts; after ``device_free_attempts`` wrong ones every further one
  makes the page wait (30 s, doubling, at most 15 min). The attempt is reserved atomically *before* the
  code is looked up (a wrong attempt also sets the wait in the same statement), so parallel guesses
  cannot outrun the counter; a right code hands its slot back. The count starts afresh an hour after
  the last wrong code.
- per device code: a wrong user code cannot tell which code it was aimed at, so it counts against
  every pending device code; one that saw ``device_wrong_code_limit`` wrong codes during its life is
  dead (the page does not find it; the kiosk's poll gets ``expired_token`` and starts again). With
  8 characters of 20 that bounds a guess's chance at ``limit / 20⁸`` (about 2·10⁻⁹ per code at 50).

The confirmation page (§5.4 "Remote Phishing") names the client, the kiosk's location and what it will
see, and warns to confirm only a code shown on a screen in front of you. Kiosk tokens (§5.6 — a
shared, public device) carry only the client's own scopes, never ``offline_access`` (no refresh token)
and live ``device_token_ttl`` seconds.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _Endpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _Grant
from authlib.oauth2.rfc8628.errors import AuthorizationPendingError, ExpiredTokenError, SlowDownError
from sqlalchemy import Table, bindparam, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from idp.oauth.claims import principal_for_grant
from idp.oauth.hashing import token_hash
from idp.oauth.models import DeviceCode, DeviceThrottle
from idp.parties.models import Person

EXPIRES_IN = 600
INTERVAL = 5
# RFC 8628 §6.1: a short code from an alphabet without look-alikes (no vowels, no 0/O, 1/I).
_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # the address's count starts afresh this long after its last wrong code


def normalise_user_code(value: str) -> str:
    """``bcdf-ghjk`` and ``BCDFGHJK`` are the same code."""
    raw = "".join(c for c in value.upper() if c.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


class DeviceAuthorizationEndpoint(_Endpoint):  # type: ignore[misc]
    """§3.1–3.2: issue device code and user code to a client allowed the device grant."""

    EXPIRES_IN = EXPIRES_IN
    INTERVAL = INTERVAL

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], Any]:
        client = self.authenticate_client(request)
        if not client.check_grant_type(DEVICE_GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed the device authorization grant.")
        scope = client.get_allowed_scope(request.payload.scope)
        if scope is None:
            raise InvalidScopeError()
        request.payload.data["scope"] = scope
        return super().create_endpoint_response(request)  # type: ignore[no-any-return]

    def generate_user_code(self) -> str:
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        return f"{raw[:4]}-{raw[4:]}"

    def get_verification_uri(self) -> str:
        return f"{self.server.settings.issuer}/device"

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        self.server.session.add(
            DeviceCode(
                device_code_hash=token_hash(data["device_code"]),
                user_code=data["user_code"],
                client_id=client_id,
                scope=scope or "",
                interval=INTERVAL,
                expires_at=utcnow() + timedelta(seconds=EXPIRES_IN),
            )
        )
        self.server.session.flush()


DEVICE_GRANT_TYPE = _Grant.GRANT_TYPE


class DeviceCodeGrant(_Grant):  # type: ignore[misc]
    """§3.4–3.5: the polling kiosk gets tokens once, after the citizen approved."""

    def validate_token_request(self) -> None:
        device_code = self.request.payload.data.get("device_code")
        if not device_code:
            raise InvalidRequestError("Missing 'device_code' in payload")
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed the device authorization grant.")
        session = self.server.session
        row = session.get(DeviceCode, token_hash(device_code))
        if row is None or row.client_id != client.client_id:
            raise InvalidGrantError("Unknown device code.")
        self.request.client = client
        self.request.credential = row
        self.request.user = self._poll(session, row)

    def _poll(self, session: Session, row: DeviceCode) -> Any:
        now = utcnow()
        if row.expires_at <= now or is_dead(row, settings=self.server.settings):
            raise ExpiredTokenError()  # §3.5 expired_token (§5.1: too many wrong user codes); nothing changes
        if row.status == "used":
            raise InvalidGrantError("The device code was already exchanged.")
        if row.status == "denied":
            raise AccessDeniedError()
        too_fast = (
            row.last_polled_at is not None and (now - row.last_polled_at).total_seconds() < row.interval
        )
        row.last_polled_at = now
        if too_fast:
            row.interval += (
                5  # §3.5: "the interval MUST be increased by 5 seconds for all subsequent requests"
            )
        if row.status == "pending" or too_fast:
            session.commit()  # the polling state persists although the answer is an error
            raise SlowDownError() if too_fast else AuthorizationPendingError()
        person = session.get(Person, row.person_id) if row.person_id else None
        if person is None:
            raise InvalidGrantError("The approving person no longer exists.")
        row.status = "used"
        return principal_for_grant(
            session=session,
            settings=self.server.settings,
            person=person,
            sid=row.sid,
            facts=row.claims,
            client=self.request.client.row,
        )

    def create_token_response(self) -> tuple[int, dict[str, Any], Any]:
        # §5.6: a shared device gets the client's own (narrow) scopes only, briefly, and no refresh token
        client = self.request.client
        token = self.generate_token(
            user=self.request.user,
            scope=kiosk_scope(self.request.credential.scope, allowed=client.row.scopes),
            expires_in=self.server.settings.device_token_ttl,
            include_refresh_token=False,
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


def kiosk_scope(requested: str, *, allowed: list[str]) -> str:
    """The scopes a device token carries: those asked for that the client still has, never offline_access."""
    return " ".join(s for s in requested.split() if s in allowed and s != "offline_access")


def is_dead(row: DeviceCode, *, settings: Settings) -> bool:
    """§5.1: the device code saw too many wrong user codes during its life."""
    return (row.wrong_attempts or 0) >= settings.device_wrong_code_limit


def get_pending(*, session: Session, user_code: str, settings: Settings | None = None) -> DeviceCode | None:
    """The pending, unexpired (and, given ``settings``, not brute-forced) device request, or None."""
    row = session.scalars(
        select(DeviceCode).where(DeviceCode.user_code == normalise_user_code(user_code))
    ).first()
    if row is None or row.status != "pending" or row.expires_at <= utcnow():
        return None
    if settings is not None and is_dead(row, settings=settings):
        return None
    return row


# -- §5.1 user-code entry throttle --------------------------------------------------------------------
_TABLE = cast(Table, DeviceThrottle.__table__)
_KEY = bindparam("device_key", type_=_TABLE.c.key.type)
_NOW = bindparam("device_now", type_=_TABLE.c.updated_at.type)
_STALE = bindparam("device_stale", type_=_TABLE.c.updated_at.type)
_HOLD = bindparam("device_hold", type_=_TABLE.c.locked_until.type)
_FREE = bindparam("device_free", type_=_TABLE.c.failures.type)
_SET_WAIT = update(_TABLE).where(_TABLE.c.key == _KEY).values(locked_until=_HOLD)
_GIVE_BACK = (
    update(_TABLE)
    .where(_TABLE.c.key == _KEY)
    .values(failures=case((_TABLE.c.failures > 0, _TABLE.c.failures - 1), else_=0), locked_until=None)
)
_COUNT_AGAINST_PENDING = (
    update(DeviceCode)
    .where(DeviceCode.status == "pending", DeviceCode.expires_at > bindparam("pending_now"))
    .values(wrong_attempts=DeviceCode.wrong_attempts + 1)
    .execution_options(synchronize_session=False)
)


@lru_cache(maxsize=4)
def _reserve_statement(dialect: str) -> Any:
    """Take an attempt unless the key waits; past the free attempts the same statement sets a wait."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    t = _TABLE
    failures = case((t.c.updated_at <= _STALE, 1), else_=t.c.failures + 1)
    stmt = insert(t).values(
        key=_KEY, failures=1, locked_until=case((_FREE < 1, _HOLD), else_=None), updated_at=_NOW
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={"failures": failures, "locked_until": case((failures > _FREE, _HOLD), else_=None), "updated_at": _NOW},
        where=or_(t.c.locked_until.is_(None), t.c.locked_until <= _NOW),
    ).returning(t.c.failures)


@dataclass(frozen=True)
class Entry:
    """The outcome of entering a user code: the pending row, or how long to wait, or neither (wrong)."""

    row: DeviceCode | None = None
    wait_seconds: int = 0


def _wait_for(failures: int, free: int) -> timedelta:
    over = max(0, failures - free - 1)
    return min(MAX_WAIT, FIRST_WAIT * (2 ** min(over, 10)))


def enter_user_code(*, session: Session, settings: Settings, address: str | None, user_code: str) -> Entry:
    """§5.1: look up a user code typed (or scanned) at ``address``, counting wrong ones; commits.

    Returns the pending row, or ``wait_seconds`` > 0 when this address must wait first (the code was
    not looked at), or an empty entry for a wrong, expired or dead code.
    """
    key = f"address:{address or 'unknown'}"[:100]
    now = utcnow()
    free = settings.device_free_attempts
    params = {
        "device_key": key,
        "device_now": now,
        "device_stale": now - FORGET_AFTER,
        "device_hold": now + MAX_WAIT,  # held until this attempt's outcome sets the real wait below
        "device_free": free,
    }
    slot = session.execute(_reserve_statement(session.get_bind().dialect.name), params).scalar_one_or_none()
    if slot is None:
        session.commit()
        until = session.scalar(select(DeviceThrottle.locked_until).where(DeviceThrottle.key == key)) or now
        return Entry(wait_seconds=max(1, int((until - utcnow()).total_seconds()) + 1))
    row = get_pending(session=session, user_code=user_code, settings=settings)
    if row is not None:
        session.execute(_GIVE_BACK, {"device_key": key})
        session.commit()
        return Entry(row=row)
    if slot > free:
        session.execute(_SET_WAIT, {"device_key": key, "device_hold": now + _wait_for(slot, free)})
    session.execute(_COUNT_AGAINST_PENDING, {"pending_now": now})
    session.commit()
    return Entry()


def decide(
    *,
    session: Session,
    row: DeviceCode,
    person: Person,
    sid: str | None,
    facts: dict[str, Any],
    approve: bool,
) -> DeviceCode:
    """Record the citizen's answer to a device request."""
    row.status = "approved" if approve else "denied"
    row.person_id = person.id
    row.sid = sid
    row.claims = facts
    session.flush()
    return row
