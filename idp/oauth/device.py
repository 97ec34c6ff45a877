"""RFC 8628 — OAuth 2.0 Device Authorization Grant. https://www.rfc-editor.org/rfc/rfc8628

The kiosk asks for a device code (§3.1), shows ``verification_uri_complete`` as a QR code (§3.3.1),
the citizen confirms on a phone that is already logged in (/device), the kiosk polls /token (§3.4)
and is told ``authorization_pending``, ``slow_down`` (§3.5), ``access_denied`` or ``expired_token``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

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
from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.oauth.claims import principal_for
from idp.oauth.models import DeviceCode
from idp.oauth.server import token_hash
from idp.parties.models import Person
from onenumber.db import utcnow

EXPIRES_IN = 600
INTERVAL = 5
# RFC 8628 §6.1: a short code from an alphabet without look-alikes (no vowels, no 0/O, 1/I).
_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


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
        if row.expires_at <= now:
            raise ExpiredTokenError()  # §3.5 expired_token; nothing changes
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
        return principal_for(
            session=session, settings=self.server.settings, person=person, sid=row.sid, facts=row.claims
        )

    def create_token_response(self) -> tuple[int, dict[str, Any], Any]:
        client = self.request.client
        token = self.generate_token(
            user=self.request.user,
            scope=self.request.credential.scope,
            include_refresh_token=client.check_grant_type("refresh_token"),
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


def get_pending(*, session: Session, user_code: str) -> DeviceCode | None:
    """The pending, unexpired device request with this user code, or None."""
    row = session.scalars(
        select(DeviceCode).where(DeviceCode.user_code == normalise_user_code(user_code))
    ).first()
    if row is None or row.status != "pending" or row.expires_at <= utcnow():
        return None
    return row


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
