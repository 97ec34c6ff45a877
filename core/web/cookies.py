"""The platform's browser cookies: one rule for their names and attributes, for idp and wallet pages alike.

Outside development every cookie is a ``__Host-`` cookie (RFC 6265bis §4.1.3.2): the browser keeps it only
when it is Secure, has ``Path=/`` and no ``Domain``, so a sibling subdomain or a plain-http page cannot plant
or overwrite it (session fixation, a planted CSRF token). Development keeps the plain names so that
http://127.0.0.1 works. https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from core.settings import Settings

HOST_PREFIX = "__Host-"
MAX_VALUE_LENGTH = 512  # our values are short random tokens; anything longer is not ours


def cookie_name(settings: Settings, name: str) -> str:
    """The name ``name`` is sent under: ``__Host-name`` outside development, ``name`` in development."""
    return name if settings.is_development else HOST_PREFIX + name


def read(request: HTTPConnection, settings: Settings, name: str) -> str | None:
    """The value of cookie ``name`` as this platform set it, or None.

    Outside development the plain name is ignored (anyone on a sibling host could have set that one). A
    value that is not printable ASCII or is over-long was not made here and counts as absent, so it never
    reaches a comparison (``hmac.compare_digest`` refuses non-ASCII strings with a TypeError).
    """
    value = request.cookies.get(cookie_name(settings, name))
    if not value or len(value) > MAX_VALUE_LENGTH or not (value.isascii() and value.isprintable()):
        return None
    return value


def write(
    response: Response, settings: Settings, name: str, value: str, *, max_age: int | None = None
) -> None:
    """Set cookie ``name``: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure and ``__Host-`` outside
    development."""
    response.set_cookie(
        cookie_name(settings, name),
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=not settings.is_development,
        path="/",
    )


def delete(response: Response, settings: Settings, name: str) -> None:
    """Expire cookie ``name`` (with the same attributes, or a ``__Host-`` deletion would be ignored)."""
    response.delete_cookie(
        cookie_name(settings, name), path="/", secure=not settings.is_development, httponly=True, samesite="lax"
    )
