"""The idp's page helpers: the web kit (core/web) over idp's templates, texts, CSRF cookie and page headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from core.web.pages import PageKit, client_address, settings_of
from core.web.render import environment
from idp import sessions as sso
from idp.errors import CsrfError
from idp.i18n import MESSAGES

CSRF_COOKIE = "idp_csrf"
TEMPLATES = environment(Path(__file__).resolve().parent.parent / "templates")
CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'"
)


def _csrf_refused(request: Request) -> Response:
    return message(request, "csrf_failed", status_code=403)


KIT = PageKit(
    templates=TEMPLATES,
    catalog=MESSAGES,
    csrf_cookie=CSRF_COOKIE,
    refusal=_csrf_refused,
    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": CSP},
)
lang_of = KIT.lang_of
read_cookie = KIT.read_cookie
set_cookie = KIT.set_cookie
delete_cookie = KIT.delete_cookie
csrf_token = KIT.csrf_token
renew_csrf = KIT.renew_csrf
refuse_bad_csrf = KIT.refuse_bad_csrf
finish = KIT.finish
render = KIT.render
redirect = KIT.redirect


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token does not match the cookie (:class:`~idp.errors.CsrfError`)."""
    if not KIT.csrf_ok(request, submitted):
        raise CsrfError("csrf_failed")


def sso_cookie(request: Request) -> str | None:
    """The browser's idp session cookie (``sid.secret``), or None."""
    return read_cookie(request, sso.COOKIE_NAME)


def message(request: Request, text_key: str, status_code: int = 200, **context: Any) -> Response:
    """A page with one human sentence (errors included, never raw JSON)."""
    return render(request, "message.html", status_code=status_code, text_key=text_key, **context)


__all__ = [
    "CSRF_COOKIE",
    "KIT",
    "TEMPLATES",
    "check_csrf",
    "client_address",
    "csrf_token",
    "delete_cookie",
    "finish",
    "lang_of",
    "message",
    "read_cookie",
    "redirect",
    "refuse_bad_csrf",
    "render",
    "renew_csrf",
    "set_cookie",
    "settings_of",
    "sso_cookie",
]
