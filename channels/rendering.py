"""Page rendering for the web channels: templates, language, CSRF, security headers, human error pages."""

from __future__ import annotations

import hmac
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from channels.i18n import LANG_COOKIE, Translator, pick_lang, translator
from core import cookies
from core.settings import Settings

CSRF_COOKIE = "wallet_csrf"
CHINA = ZoneInfo("Asia/Shanghai")
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
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


TEMPLATES.filters["when"] = _local
TEMPLATES.filters["day"] = lambda v: _local(v, "%Y-%m-%d")


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def lang_of(request: Request) -> str:
    """Page language: ``?lang=`` first, then the ``lang`` cookie, else Chinese."""
    return pick_lang(request.query_params.get("lang"), read_cookie(request, LANG_COOKIE))


def t_of(request: Request) -> Translator:
    """The translator of this request's language."""
    return translator(lang_of(request))


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (double-submit cookie), created on first use."""
    token = getattr(request.state, "new_web_csrf", None) or read_cookie(request, CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_web_csrf = token
    return str(token)


def renew_csrf(request: Request) -> None:
    """A fresh CSRF token for this browser at a privilege change (a planted one stops working)."""
    request.state.new_web_csrf = secrets.token_urlsafe(24)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """True when a submitted form carries this browser's CSRF token (any other text, ASCII or not, is no)."""
    cookie = read_cookie(request, CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode("utf-8", "surrogatepass"))


def read_cookie(request: Request, name: str) -> str | None:
    """Cookie ``name`` under the name this deployment uses (``__Host-`` outside development), or None."""
    return cookies.read(request, settings_of(request), name)


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None = None
) -> None:
    """A cookie that is HttpOnly, SameSite=Lax; Secure and ``__Host-`` outside development."""
    cookies.write(response, settings_of(request), name, value, max_age=max_age)


def delete_cookie(response: Response, request: Request, name: str) -> None:
    """Expire cookie ``name``."""
    cookies.delete(response, settings_of(request), name)


def finish(response: Response, request: Request) -> Response:
    """Pending cookies (CSRF, language) and the security headers every page gets."""
    new = getattr(request.state, "new_web_csrf", None)
    if new:
        set_cookie(response, request, CSRF_COOKIE, new)
    if request.query_params.get("lang"):
        set_cookie(response, request, LANG_COOKIE, lang_of(request), max_age=365 * 24 * 3600)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CSP
    return response


def switch_url(request: Request, other: str) -> str:
    """This page in the other language."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", other)]
    return f"{request.url.path}?{urlencode(params)}"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """Render a page in the request's language; ``t``, ``lang``, ``csrf`` and the switch link are set."""
    lang = lang_of(request)
    other = "zh-CN" if lang == "en" else "en"
    base = {
        "t": translator(lang),
        "lang": lang,
        "other_lang": other,
        "switch_url": switch_url(request, other),
        "csrf": csrf_token(request),
        "path": request.url.path,
        "identity": getattr(request.state, "web_identity", None),
    }
    html = TEMPLATES.get_template(template).render(**base, **context)
    return finish(HTMLResponse(html, status_code=status_code), request)


def redirect(request: Request, location: str, status_code: int = 303) -> Response:
    """A redirect that still sets pending cookies."""
    return finish(RedirectResponse(location, status_code=status_code), request)


def error_page(
    request: Request, message: str, *, status_code: int = 400, title_key: str = "error_title"
) -> Response:
    """A page with one human sentence: what went wrong and what to do (never JSON, never a trace)."""
    return render(request, "error.html", status_code=status_code, message=message, title_key=title_key)
