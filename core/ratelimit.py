"""Abuse limits (issues 8, 15 and 16): a token bucket per client address and kind of request.

Four kinds are limited, each with its own ``ONENUMBER_RATE_LIMIT_*_PER_MINUTE`` setting (0 turns it off):

- ``verify``: the public verification endpoints (presentation tokens, PDFs, SD-JWTs, the /verify page);
- ``status``: license status and application progress queries;
- ``login``: the idp's password, TOTP and password-reset forms (on top of idp's per-account lockout);
- ``create``: anonymous requests that each store a row: the hall's sign-in start (a web session holding
  the flow), RFC 8628 device authorization (a device code), the kiosk's start (both), self-registration.

Over the limit the answer is 429 with ``Retry-After``: ``{"error": "rate_limited", …}`` for the API, a
short human page for the pages. The buckets live in a backend (``core/limiter.py``): this process by default,
Redis for every instance when ``ONENUMBER_REDIS_URL`` is set. The client address is what the ASGI server
reports; run uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips`` behind a trusted proxy.

When the shared backend cannot be reached, the requests that guard credentials (logins, TOTP, password reset,
registration: :data:`RULES` marks them) are refused with 503 ``temporarily_unavailable`` and
``Retry-After`` — fail closed: without the shared count an attacker spreading guesses over the instances
would be unlimited — and the others (public verification, status queries, sign-in starts) are let through
unlimited: fail open, an outage of a counter store must not take the public reads down.

A request the app makes to itself while handling one (the embedded hall and kiosk talk to the embedded idp
through ``httpx.ASGITransport``, in the same task) is not counted again: its outer request already was, and
counting the inner one under the transport's fixed address would make every kiosk share one bucket.
"""

from __future__ import annotations

import contextvars
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from starlette.types import ASGIApp, Receive, Scope, Send

from core.limiter import LimiterBackend, LimiterUnavailable, LocalLimiter, TokenBucket
from core.settings import Settings

__all__ = ["RULES", "RateLimitMiddleware", "Rule", "TokenBucket", "kind_of", "rule_of"]


class Rule(NamedTuple):
    """A limited kind of request; ``fails_closed``: refused while the shared backend is away."""

    kind: str
    method: str
    pattern: re.Pattern[str]
    fails_closed: bool = False


# The first match decides.
RULES: list[Rule] = [
    Rule("verify", "POST", re.compile(r"^/api/verify/(presentation|sd-jwt|pdf)$")),
    Rule("verify", "POST", re.compile(r"^/api/wallet/verify/pdf$")),
    Rule("verify", "POST", re.compile(r"^/verify(/pdf)?$")),
    Rule("verify", "GET", re.compile(r"^/verify$")),
    Rule("status", "GET", re.compile(r"^/api/licenses/[^/]+/status$")),
    Rule("status", "GET", re.compile(r"^/api/applications/status$")),
    Rule("status", "GET", re.compile(r"^/hall/progress$")),  # the same query as a page (serial + query code)
    Rule("login", "POST", re.compile(r"^/login(/totp)?$"), fails_closed=True),
    Rule("login", "POST", re.compile(r"^/password-reset$"), fails_closed=True),
    Rule("create", "GET", re.compile(r"^/hall/(login|switch)$")),
    Rule("create", "POST", re.compile(r"^/device_authorization$")),
    Rule("create", "POST", re.compile(r"^/kiosk/start$")),
    Rule("create", "POST", re.compile(r"^/register$"), fails_closed=True),
]
PAGE_PATHS = re.compile(r"^/(verify|login|password-reset|register|hall/|kiosk/)")
# Set while a request that went through the limiter is being handled (see the module docstring).
_admitted: contextvars.ContextVar[bool] = contextvars.ContextVar("onenumber_rate_admitted", default=False)


def rule_of(method: str, path: str) -> Rule | None:
    """The rule limiting this request, or None."""
    for rule in RULES:
        if method == rule.method and rule.pattern.match(path):
            return rule
    return None


def kind_of(method: str, path: str) -> str | None:
    """The limited kind of this request, or None."""
    rule = rule_of(method, path)
    return rule.kind if rule else None


class RateLimitMiddleware:
    """ASGI middleware applying the buckets of :data:`RULES` per client address, in ``limiter``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        limiter: LimiterBackend | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        rates = {
            "verify": settings.rate_limit_verify_per_minute,
            "status": settings.rate_limit_status_per_minute,
            "login": settings.rate_limit_login_per_minute,
            "create": settings.rate_limit_create_per_minute,
        }
        self.rates = {kind: rate for kind, rate in rates.items() if rate > 0}
        self.limiter = limiter if limiter is not None else LocalLimiter(clock=clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.rates or _admitted.get():
            await self.app(scope, receive, send)
            return
        rule = rule_of(scope.get("method", "GET"), scope.get("path", ""))
        rate = self.rates.get(rule.kind, 0) if rule else 0
        if rule is not None and rate:
            client = scope.get("client")
            try:
                wait = await self.limiter.take(rule.kind, client[0] if client else "unknown", rate)
            except LimiterUnavailable as exc:
                if rule.fails_closed:
                    await _unavailable(scope, send, exc.retry_after)
                    return
                wait = 0.0  # fail open: see the module docstring
            if wait > 0:
                await _too_many(scope, send, math.ceil(wait))
                return
        token = _admitted.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            _admitted.reset(token)


async def _answer(scope: Scope, send: Send, status: int, retry_after: int, page: str, error: Mapping[str, object]) -> None:
    """``status`` with Retry-After: the error shape for the API, a human page for pages."""
    if PAGE_PATHS.match(scope.get("path", "")):
        body = page.encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps(error).encode()
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_many(scope: Scope, send: Send, retry_after: int) -> None:
    """429: over the limit."""
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>请求过于频繁 · Too many '
        f"requests</title></head><body><main><h1>请求过于频繁</h1><p>请在 {retry_after} 秒后重试。</p>"
        f'<p lang="en">Too many requests from this address. Please try again in {retry_after} seconds.'
        "</p></main></body></html>"
    )
    error = {
        "error": "rate_limited",
        "detail": f"too many requests from this address; try again in {retry_after} seconds",
        "field": None,
    }
    await _answer(scope, send, 429, retry_after, page, error)


async def _unavailable(scope: Scope, send: Send, retry_after: int) -> None:
    """503: the shared limits cannot be checked, and this request guards credentials."""
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务暂时不可用 · Temporarily '
        f"unavailable</title></head><body><main><h1>服务暂时不可用</h1><p>请在 {retry_after} 秒后重试。</p>"
        f'<p lang="en">Signing in is briefly unavailable. Please try again in {retry_after} seconds.</p>'
        "</main></body></html>"
    )
    error = {
        "error": "temporarily_unavailable",
        "detail": "服务暂时不可用，请稍后重试 (the service is briefly unavailable; please retry shortly)",
        "field": None,
    }
    await _answer(scope, send, 503, retry_after, page, error)
