"""Rendering, CSRF (double-submit cookie), cookies and language for the idp pages."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import cookies
from core.settings import Settings
from idp import sessions as sso
from idp.errors import CsrfError
from idp.i18n import LANG_COOKIE, pick_lang, translator

CSRF_COOKIE = "idp_csrf"
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def lang_of(request: Request) -> str:
    """Page language from ``?lang=`` or the ``lang`` cookie."""
    return pick_lang(request.query_params.get("lang"), read_cookie(request, LANG_COOKIE))


def client_address(request: Request) -> str | None:
    """The peer address (the app runs without proxy headers by default)."""
    return request.client.host if request.client else None


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (the cookie value, created on first use)."""
    token = getattr(request.state, "new_csrf", None) or read_cookie(request, CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return str(token)


def renew_csrf(request: Request) -> None:
    """A fresh CSRF token for this browser at a privilege change (a planted one stops working)."""
    request.state.new_csrf = secrets.token_urlsafe(24)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose token does not match the cookie (any other text, ASCII or not)."""
    cookie = read_cookie(request, CSRF_COOKIE)
    if not cookie or not submitted:
        raise CsrfError("csrf_failed")
    if not hmac.compare_digest(cookie.encode(), submitted.encode("utf-8", "surrogatepass")):
        raise CsrfError("csrf_failed")


def read_cookie(request: Request, name: str) -> str | None:
    """Cookie ``name`` under the name this deployment uses (``__Host-`` outside development), or None."""
    return cookies.read(request, settings_of(request), name)


def sso_cookie(request: Request) -> str | None:
    """The browser's idp session cookie (``sid.secret``), or None."""
    return read_cookie(request, sso.COOKIE_NAME)


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None = None
) -> None:
    """Set a cookie HttpOnly, SameSite=Lax; Secure and ``__Host-`` outside development."""
    cookies.write(response, settings_of(request), name, value, max_age=max_age)


def delete_cookie(response: Response, request: Request, name: str) -> None:
    """Expire cookie ``name``."""
    cookies.delete(response, settings_of(request), name)


def finish(response: Response, request: Request) -> Response:
    """Pending cookies (CSRF, language) and the page headers, on a response made elsewhere."""
    return _finish(response, request)


def _finish(response: Response, request: Request) -> Response:
    new = getattr(request.state, "new_csrf", None)
    if new:
        set_cookie(response, request, CSRF_COOKIE, new)
    query_lang = request.query_params.get("lang")
    if query_lang:
        set_cookie(response, request, LANG_COOKIE, lang_of(request), max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'self'"
    )
    return response


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """Render a page in the request's language with a CSRF token available as ``csrf``."""
    lang = lang_of(request)
    other = "zh-CN" if lang == "en" else "en"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", other)]
    html = TEMPLATES.get_template(template).render(
        t=translator(lang),
        lang=lang,
        csrf=csrf_token(request),
        other_lang=other,
        switch_url=f"{request.url.path}?{urlencode(params)}",
        **context,
    )
    return _finish(HTMLResponse(html, status_code=status_code), request)


def redirect(request: Request, location: str) -> Response:
    """A 303 redirect (after a form post) that still sets pending cookies."""
    return _finish(RedirectResponse(location, status_code=303), request)


def refuse_bad_csrf(request: Request, submitted: str | None) -> Response | None:
    """The 403 page when a form's CSRF token does not match its cookie, else None (``if (refused := …)``)."""
    try:
        check_csrf(request, submitted)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    return None


def message(request: Request, text_key: str, status_code: int = 200, **context: Any) -> Response:
    """A page with one human sentence (errors included, never raw JSON)."""
    return render(request, "message.html", status_code=status_code, text_key=text_key, **context)
