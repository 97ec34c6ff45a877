"""CSRF protection of the forms: the double-submit cookie pattern. A form carries the value of an HttpOnly
cookie; outside development the cookie is ``__Host-`` (core/web/cookies.py), so no sibling host can plant one.

Each package has its own cookie; a token made during a request waits on the request until the response sets
it (:func:`pending`). https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from core.settings import Settings
from core.web import cookies

TOKEN_BYTES = 24
_STATE = "csrf_pending"  # request.state attribute: {cookie name: token the response must set}


def _pending(request: Request) -> dict[str, str]:
    found: dict[str, str] | None = getattr(request.state, _STATE, None)
    if found is None:
        found = {}
        setattr(request.state, _STATE, found)
    return found


def token(request: Request, settings: Settings, cookie: str) -> str:
    """This browser's token for ``cookie`` (the cookie's value, or a new one on first use)."""
    pending = _pending(request)
    value = pending.get(cookie) or cookies.read(request, settings, cookie)
    if not value:
        value = pending[cookie] = secrets.token_urlsafe(TOKEN_BYTES)
    return value


def renew(request: Request, cookie: str) -> None:
    """A fresh token at a privilege change (login, logout, acting for someone): a planted one stops working."""
    _pending(request)[cookie] = secrets.token_urlsafe(TOKEN_BYTES)


def pending(request: Request, cookie: str) -> str | None:
    """The token the response must set for ``cookie``, if one was made during this request."""
    return _pending(request).get(cookie)


def matches(request: Request, settings: Settings, cookie: str, submitted: str | None) -> bool:
    """True when a submitted form carries the token of ``cookie`` (any other text, ASCII or not, is no)."""
    value = cookies.read(request, settings, cookie)
    if not value or not submitted:
        return False
    return hmac.compare_digest(value.encode(), submitted.encode("utf-8", "surrogatepass"))
