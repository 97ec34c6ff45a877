"""The web channels' page helpers: the web kit (core/web) over the channels' templates, texts, CSRF cookie and
page headers, plus the human error page."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from channels.messages import MESSAGES
from core.clock import CHINA_TZ
from core.web.pages import PageKit, settings_of
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
    return error_page(request, t_of(request)("err_csrf"), status_code=403)


KIT = PageKit(
    templates=TEMPLATES,
    catalog=MESSAGES,
    csrf_cookie=CSRF_COOKIE,
    refusal=_csrf_refused,
    headers={"Content-Security-Policy": CSP},
    default_headers={"Cache-Control": "no-store"},  # a route's own policy stays (the middleware still forces no-store)
    context=_context,
)
lang_of = KIT.lang_of
translator = KIT.translator
t_of = KIT.t_of
read_cookie = KIT.read_cookie
set_cookie = KIT.set_cookie
delete_cookie = KIT.delete_cookie
csrf_token = KIT.csrf_token
renew_csrf = KIT.renew_csrf
refuse_bad_csrf = KIT.refuse_bad_csrf
finish = KIT.finish
render = KIT.render
redirect = KIT.redirect


def error_page(
    request: Request, message: str, *, status_code: int = 400, title_key: str = "error_title"
) -> Response:
    """A page with one human sentence: what went wrong and what to do (never JSON, never a trace)."""
    return render(request, "error.html", status_code=status_code, message=message, title_key=title_key)


__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "KIT",
    "TEMPLATES",
    "csrf_token",
    "delete_cookie",
    "error_page",
    "finish",
    "lang_of",
    "read_cookie",
    "redirect",
    "refuse_bad_csrf",
    "render",
    "renew_csrf",
    "set_cookie",
    "settings_of",
    "t_of",
    "translator",
]
