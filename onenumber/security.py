"""Security headers on every response (issue 8): one place for the whole app.

Pages that need a specific policy set it themselves (wallet pages: ``wallet.web.rendering.CSP``; idp
pages: ``idp.web.pages``; the console's PDF preview allows ``frame-ancestors 'self'``); this middleware
only fills in what a response did not set, so it never loosens a page's own policy:

- ``Content-Security-Policy``: APIs get ``default-src 'none'; frame-ancestors 'none'``; HTML that set
  nothing gets :data:`PAGE_CSP`; the interactive API docs keep working (they load Swagger from a CDN)
  but cannot be framed.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` everywhere.
- ``Cache-Control: no-store`` on every path that carries personal data (:data:`PERSONAL_PREFIXES`).
- ``Strict-Transport-Security`` outside development (production is https only, see Settings).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"
# Responses under these paths may carry personal data: never kept by a browser or a shared cache.
PERSONAL_PREFIXES = (
    "/api/wallet",
    "/api/licenses",
    "/api/applications",
    "/api/counter",
    "/api/complaints",
    "/api/appointments",
    "/api/departments",
    "/api/dashboard",
    "/api/verify",
    "/hall",
    "/console",
    "/kiosk",
    "/admin",
    "/verify",
    "/account",
    "/userinfo",
    "/token",
    "/introspect",
    "/login",
    "/logout",
    "/device",
    "/consent",
    "/blobs",
)


def is_personal(path: str) -> bool:
    """True for a path whose responses may carry personal data."""
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in PERSONAL_PREFIXES)


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
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    if path.startswith(DOCS_PATHS):
                        headers["Content-Security-Policy"] = DOCS_CSP
                    else:
                        headers["Content-Security-Policy"] = PAGE_CSP if html else API_CSP
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if is_personal(path):
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
