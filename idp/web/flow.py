"""Where a page sends the browser next: back to /authorize (with a fresh-login ticket) or a local page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from core.settings import Settings
from core.web.pages import safe_next
from idp import signed

TICKET_PARAM = "login_ticket"
TICKET_TTL = 300


def authorize_query(query: str) -> str:
    """An authorization request's query without our internal ticket."""
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != TICKET_PARAM])


def after_login(next_path: str | None, *, sid: str, settings: Settings) -> str:
    """Resume the pending request; /authorize gets a ticket proving a fresh login for ``sid``."""
    target = safe_next(next_path)
    if target is None:
        return "/account/sessions"
    if target.startswith("/authorize?"):
        ticket = signed.dumps({"sid": sid}, secret=settings.secret_key, purpose="login", ttl=TICKET_TTL)
        query = authorize_query(target.split("?", 1)[1])
        return f"/authorize?{query}&{urlencode({TICKET_PARAM: ticket})}"
    return target


def ticket_sid(ticket: str | None, *, settings: Settings) -> str | None:
    """The session id a valid login ticket vouches for."""
    payload = signed.loads(ticket, secret=settings.secret_key, purpose="login")
    return str(payload["sid"]) if payload else None
