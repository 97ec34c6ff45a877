"""Security headers on every response (issue 8): one middleware for the whole app.

Pages that need a specific policy set it themselves (the web channels: ``channels.rendering.CSP``; idp
pages: ``idp.web.pages``; the console's PDF preview allows ``frame-ancestors 'self'``); this middleware
only fills in what a response did not set, so it never loosens a page's own policy:

- ``Content-Security-Policy``: APIs get ``default-src 'none'; frame-ancestors 'none'``; HTML that set
  nothing gets :data:`PAGE_CSP`; the interactive API docs keep working (they load Swagger from a CDN)
  but cannot be framed.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` everywhere.
- ``Cache-Control: no-store`` on every path that may carry personal data, whatever the response set. Each
  router declares its own paths with :func:`declare_no_store` (this module knows no package's URLs).
- ``Strict-Transport-Security`` outside development (production is https only, see Settings).

It also keeps credentials out of the access log (:func:`install_log_redaction`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"
_no_store: set[str] = set()
_no_store_match: Callable[[str], re.Match[str] | None] = re.compile(r"(?!)").match


def declare_no_store(*prefixes: str) -> None:
    """Responses under these path prefixes may carry personal data: never kept by a browser or a shared cache
    (``Cache-Control: no-store`` replaces whatever the response set, errors and unknown paths included).

    A router calls this next to its routes, at import: ``declare_no_store("/hall")`` covers ``/hall``,
    ``/hall/…`` and ``/hall?…``, not ``/hallway``.
    """
    global _no_store_match
    _no_store.update(prefixes)
    ordered = sorted(_no_store, key=len, reverse=True)
    _no_store_match = re.compile("(?:" + "|".join(map(re.escape, ordered)) + r")(?:\Z|[/?])").match


def no_store_prefixes() -> frozenset[str]:
    """The path prefixes declared so far."""
    return frozenset(_no_store)


def is_personal(path: str) -> bool:
    """True for a path whose responses may carry personal data (a declared prefix)."""
    return _no_store_match(path) is not None


class SecurityHeadersMiddleware:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_security_headers(message.get("headers", ()), path, self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_security_headers(raw: Any, path: str, hsts: bool) -> list[tuple[bytes, bytes]]:
    """A response's raw headers (lower-case names, as ASGI has them) with the headers above filled in.

    Works on the raw list (a copy: a response object may be sent more than once) because this runs for
    every response; starlette's ``MutableHeaders`` scans the list once per operation.
    """
    headers: list[tuple[bytes, bytes]] = list(raw)
    names = {name for name, _ in headers}
    if b"content-security-policy" not in names:
        if path.startswith(DOCS_PATHS):
            csp = DOCS_CSP
        else:
            content_type = next((value for name, value in headers if name == b"content-type"), b"")
            csp = PAGE_CSP if content_type.startswith(b"text/html") else API_CSP
        headers.append((b"content-security-policy", csp.encode("latin-1")))
    if b"x-content-type-options" not in names:
        headers.append((b"x-content-type-options", b"nosniff"))
    if b"referrer-policy" not in names:
        headers.append((b"referrer-policy", b"same-origin"))
    if is_personal(path):
        if b"cache-control" in names:
            headers = [(name, value) for name, value in headers if name != b"cache-control"]
        headers.append((b"cache-control", b"no-store"))
    if hsts and b"strict-transport-security" not in names:
        headers.append((b"strict-transport-security", HSTS.encode("latin-1")))
    return headers


# --- logs ---------------------------------------------------------------------------------------------------
# Query parameters that carry credentials or capabilities: never written to a log (uvicorn's access log
# prints the full path with its query string, e.g. /hall/callback?code=…, /verify?t=…).
SECRET_PARAMS = frozenset({
    "code", "token", "t", "refresh_token", "access_token", "id_token", "id_token_hint", "client_secret",
    "password", "sig", "user_code", "device_code", "code_verifier", "state", "nonce", "login_ticket",
})
# Path segments that are bearer capabilities themselves (presentation tokens in the QR image URL).
_SECRET_PATH = re.compile(r"(/api/wallet/present/)[^/?]+")
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
REDACTED = "[redacted]"


def _redact_value(name: str, value: str) -> str:
    if name.lower() in SECRET_PARAMS:
        return REDACTED
    if value.startswith("/") and "?" in value:  # a return path (next=/authorize?…&state=…) carries its own
        return redact_path(value)
    return value


def redact_path(path: str) -> str:
    """``path`` (with query) safe to log: secret parameters, capability segments and ID numbers masked."""
    base, sep, query = path.partition("?")
    base = _SECRET_PATH.sub(rf"\1{REDACTED}", base)
    if sep:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, _redact_value(k, v)) for k, v in pairs], safe="[]/:")
    return _ID_LIKE.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], base + sep + query)


class RedactingFilter(logging.Filter):
    """Rewrites uvicorn access-log records (``client, method, path, version, status``) through
    :func:`redact_path`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SECRET_VALUE = re.compile(
    r"""(['"]?(?:access_token|refresh_token|id_token|client_secret|device_code|password|code)['"]?"""
    r"""\s*[:=]\s*['"]?)[^'"&,;\s})]+"""
)
_URL_WITH_QUERY = re.compile(r"""(?:https?://[^\s"'<>]+?)?/[^\s"'<>?]*\?[^\s"'<>]+""")


def scrub(text: str) -> str:
    """``text`` with JWTs, secret-looking values, secret query parameters and ID numbers masked."""
    text = _JWT.sub(REDACTED, text)
    text = _SECRET_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _URL_WITH_QUERY.sub(lambda m: redact_path(m.group(0)), text)
    text = _SECRET_PATH.sub(rf"\1{REDACTED}", text)
    return _ID_LIKE.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)


_base_factory: Callable[..., logging.LogRecord] | None = None


def _scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every log record is scrubbed when it is made: libraries log at DEBUG what we must not keep
    (authlib logs issued tokens; a client's repr may hold settings; httpx logs full URLs)."""
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    if record.name == "uvicorn.access":  # its formatter needs the args; RedactingFilter handles them
        return record
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call: leave it to logging's own error handling
        return record
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    return record


def install_log_redaction() -> None:
    """Keep credentials and ID numbers out of every log (idempotent; the app factory calls it):
    :class:`RedactingFilter` on uvicorn's access log, :func:`scrub` on every other record."""
    global _base_factory
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_scrubbing_factory)
