"""Errors of `idp`: each carries its wire code and HTTP status."""

from __future__ import annotations

from core.wire import WireError


class IdpError(WireError):
    """Base error of `idp`; rendered as ``{"error": code, "detail": message, "field": field}``
    (constructor and wire shape: :class:`core.wire.WireError`)."""

    code = "invalid_request"
    status_code = 400


class InvalidToken(IdpError):
    """A bearer token is malformed, badly signed, expired or revoked."""

    code = "invalid_token"
    status_code = 401

    def __init__(self, message: str = "the access token is invalid") -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'}


class DelegationEnded(InvalidToken):
    """The delegation a login acts under was withdrawn or has ended: nothing more is issued under it."""

    code = "invalid_token"


class LoginFailed(IdpError):
    """Wrong number or password (one generic message, no account enumeration)."""

    code = "login_failed"
    status_code = 401


class AccountLocked(IdpError):
    """Too many failures: the account or address is locked for a while."""

    code = "locked"
    status_code = 429


class InvalidField(IdpError):
    """A submitted field is invalid; ``field`` names it and ``rule`` the broken rule."""

    code = "invalid_field"
    status_code = 422

    def __init__(self, message: str, *, field: str, rule: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = rule


class NotFound(IdpError):
    """The named object does not exist."""

    code = "not_found"
    status_code = 404


class Forbidden(IdpError):
    """The caller lacks the role or scope for this action."""

    code = "forbidden"
    status_code = 403


class CsrfError(IdpError):
    """A form was posted without the matching anti-forgery token."""

    code = "csrf_failed"
    status_code = 403
