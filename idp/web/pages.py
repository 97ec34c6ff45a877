"""The idp's page kit: the web kit (core/web) over idp's templates and texts (the 实名认证 pages' included),
its CSRF cookie and page headers. Pages call its methods (``KIT.render``, ``KIT.redirect`` …) and the
kit-free helpers of core/web/pages.py (``settings_of``, ``client_address``) directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from core.web.pages import PageKit
from core.web.render import environment
from idp import sessions as sso
from idp.errors import CsrfError
from idp.i18n import MESSAGES
from idp.proofing.messages import MESSAGES as PROOFING_MESSAGES

_IDP = Path(__file__).resolve().parent.parent
CSRF_COOKIE = "idp_csrf"
TEMPLATES = environment(_IDP / "templates", _IDP / "proofing" / "templates")
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"


def _csrf_refused(request: Request) -> Response:
    return message(request, "csrf_failed", status_code=403)


KIT = PageKit(
    templates=TEMPLATES,
    catalog={**MESSAGES, **PROOFING_MESSAGES},
    csrf_cookie=CSRF_COOKIE,
    refusal=_csrf_refused,
    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": CSP},
)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token does not match the cookie (:class:`~idp.errors.CsrfError`)."""
    if not KIT.csrf_ok(request, submitted):
        raise CsrfError("csrf_failed")


def sso_cookie(request: Request) -> str | None:
    """The browser's idp session cookie (``sid.secret``), or None."""
    return KIT.read_cookie(request, sso.COOKIE_NAME)


def message(request: Request, text_key: str, status_code: int = 200, **context: Any) -> Response:
    """A page with one human sentence (errors included, never raw JSON)."""
    return KIT.render(request, "message.html", status_code=status_code, text_key=text_key, **context)


__all__ = ["CSP", "CSRF_COOKIE", "KIT", "TEMPLATES", "check_csrf", "message", "sso_cookie"]
