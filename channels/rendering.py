"""The web channels' page kit: the web kit (core/web) over the channels' templates, texts, CSRF cookie and page
headers, plus the human error page. Pages call its methods (``KIT.render``, ``KIT.redirect`` …) and the kit-free
helpers of core/web/pages.py (``settings_of``) directly."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from channels.messages import MESSAGES
from core.clock import CHINA_TZ
from core.web.pages import PageKit
from core.web.render import environment

CSRF_COOKIE = "wallet_csrf"
CHINA = CHINA_TZ  # the dates and times pages show are China's civil time
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _local(value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA)
        return value.strftime(fmt)
    return value.isoformat()


TEMPLATES = environment(
    Path(__file__).resolve().parent / "templates",
    filters={"when": _local, "day": lambda v: _local(v, "%Y-%m-%d")},
)


def _context(request: Request) -> dict[str, Any]:
    """What every channel template may use besides the kit's values: the path and the signed-in identity."""
    return {"path": request.url.path, "identity": getattr(request.state, "web_identity", None)}


def _csrf_refused(request: Request) -> Response:
    return error_page(request, KIT.t_of(request)("err_csrf"), status_code=403)


KIT = PageKit(
    templates=TEMPLATES,
    catalog=MESSAGES,
    csrf_cookie=CSRF_COOKIE,
    refusal=_csrf_refused,
    headers={"Content-Security-Policy": CSP},
    default_headers={"Cache-Control": "no-store"},  # a route's own policy stays (the middleware still forces no-store)
    context=_context,
)


def error_page(request: Request, message: str, *, status_code: int = 400, title_key: str = "error_title") -> Response:
    """A page with one human sentence: what went wrong and what to do (never JSON, never a trace)."""
    return KIT.render(request, "error.html", status_code=status_code, message=message, title_key=title_key)


__all__ = ["CSP", "CSRF_COOKIE", "KIT", "TEMPLATES", "error_page"]
