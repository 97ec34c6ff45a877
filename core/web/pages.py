"""The page kit: one way for every package's HTML pages to render in the reader's language, check CSRF, set
cookies and answer with their page headers.

A package makes one :class:`PageKit` of its templates, its message catalog, its CSRF cookie and its headers,
(``KIT`` in idp/web/pages.py, channels/rendering.py) and its pages call the kit's methods (``KIT.render``,
``KIT.redirect`` …) directly: the machinery is here once, the package keeps only what is its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from core.runtime import runtime_of
from core.settings import Settings
from core.web import cookies, csrf, i18n


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    return runtime_of(request).settings


def client_address(request: Request) -> str | None:
    """The peer address (the app runs without proxy headers by default)."""
    return request.client.host if request.client else None


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a local path to return to (no scheme, no host: never another site), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def switch_url(request: Request, lang: str) -> str:
    """This page in ``lang`` (its other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", lang)]
    return f"{request.url.path}?{urlencode(params)}"


class PageKit:
    """The page helpers of one package.

    ``headers`` are set on every page (its Content-Security-Policy, say), ``default_headers`` only where the
    response did not set its own; ``context`` adds the package's own values to every template; ``refusal``
    is the page a form with a wrong CSRF token gets.
    """

    def __init__(
        self,
        *,
        templates: Environment,
        catalog: i18n.Catalog,
        csrf_cookie: str,
        refusal: Callable[[Request], Response],
        headers: Mapping[str, str],
        default_headers: Mapping[str, str] | None = None,
        context: Callable[[Request], Mapping[str, Any]] | None = None,
    ) -> None:
        self.templates = templates
        self.catalog = catalog
        self.csrf_cookie = csrf_cookie
        self.refusal = refusal
        self.headers = dict(headers)
        self.default_headers = dict(default_headers or {})
        self.context = context

    # --- language --------------------------------------------------------------------------------------

    def lang_of(self, request: Request) -> str:
        """Page language: ``?lang=`` first, then the ``lang`` cookie, else Chinese."""
        return i18n.pick_lang(request.query_params.get("lang"), self.read_cookie(request, i18n.LANG_COOKIE))

    def translator(self, lang: str) -> i18n.Translator:
        """``t(key, **values)`` of this package's catalog in ``lang``."""
        return i18n.translator(self.catalog, lang)

    def t_of(self, request: Request) -> i18n.Translator:
        """The translator of this request's language."""
        return self.translator(self.lang_of(request))

    # --- cookies and CSRF ------------------------------------------------------------------------------

    def read_cookie(self, request: Request, name: str) -> str | None:
        """Cookie ``name`` under the name this deployment uses (``__Host-`` outside development), or None."""
        return cookies.read(request, settings_of(request), name)

    def set_cookie(
        self, response: Response, request: Request, name: str, value: str, max_age: int | None = None
    ) -> None:
        """A cookie that is HttpOnly, SameSite=Lax; Secure and ``__Host-`` outside development."""
        cookies.write(response, settings_of(request), name, value, max_age=max_age)

    def delete_cookie(self, response: Response, request: Request, name: str) -> None:
        """Expire cookie ``name``."""
        cookies.delete(response, settings_of(request), name)

    def csrf_token(self, request: Request) -> str:
        """This browser's CSRF token (double-submit cookie), created on first use."""
        return csrf.token(request, settings_of(request), self.csrf_cookie)

    def renew_csrf(self, request: Request) -> None:
        """A fresh CSRF token for this browser at a privilege change (a planted one stops working)."""
        csrf.renew(request, self.csrf_cookie)

    def csrf_ok(self, request: Request, submitted: str | None) -> bool:
        """True when a submitted form carries this browser's CSRF token."""
        return csrf.matches(request, settings_of(request), self.csrf_cookie, submitted)

    def refuse_bad_csrf(self, request: Request, submitted: str | None) -> Response | None:
        """The 403 page when a form's CSRF token does not match its cookie, else None
        (``if (refused := refuse_bad_csrf(request, csrf)) is not None: return refused``)."""
        return None if self.csrf_ok(request, submitted) else self.refusal(request)

    # --- responses -------------------------------------------------------------------------------------

    def finish(self, response: Response, request: Request) -> Response:
        """Pending cookies (CSRF, language) and the page headers, on a response made anywhere."""
        new = csrf.pending(request, self.csrf_cookie)
        if new:
            self.set_cookie(response, request, self.csrf_cookie, new)
        if request.query_params.get("lang"):
            self.set_cookie(response, request, i18n.LANG_COOKIE, self.lang_of(request), max_age=i18n.LANG_COOKIE_MAX_AGE)
        for name, value in self.default_headers.items():
            response.headers.setdefault(name, value)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        """A page in the request's language; ``t``, ``lang``, ``other_lang``, ``switch_url`` and ``csrf`` are
        set, and whatever the package's ``context`` adds."""
        lang = self.lang_of(request)
        other = i18n.other_lang(lang)
        base = {
            "t": self.translator(lang),
            "lang": lang,
            "other_lang": other,
            "switch_url": switch_url(request, other),
            "csrf": self.csrf_token(request),
            **(self.context(request) if self.context else {}),
        }
        html = self.templates.get_template(template).render(**base, **context)
        return self.finish(HTMLResponse(html, status_code=status_code), request)

    def redirect(self, request: Request, location: str, status_code: int = 303) -> Response:
        """A redirect (303 after a form post) that still sets pending cookies."""
        return self.finish(RedirectResponse(location, status_code=status_code), request)
