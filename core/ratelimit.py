"""Abuse limits (issues 8 and 15): an in-process token bucket per client address and kind of request.

Four kinds are limited, each with its own ``ONENUMBER_RATE_LIMIT_*_PER_MINUTE`` setting (0 turns it off):

- ``verify``: the public verification endpoints (presentation tokens, PDFs, SD-JWTs, the /verify page);
- ``status``: license status and application progress queries;
- ``login``: the idp's password, TOTP and password-reset forms (on top of idp's per-account lockout);
- ``create``: anonymous requests that each store a row: the hall's sign-in start (a web session holding
  the flow), RFC 8628 device authorization (a device code), the kiosk's start (both), self-registration.

Over the limit the answer is 429 with ``Retry-After``: ``{"error": "rate_limited", …}`` for the API, a
short human page for the pages. Buckets live in this process: behind several replicas each one limits on
its own (the load balancer should limit too). The client address is what the ASGI server reports; run
uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips`` behind a trusted proxy.

A request the app makes to itself while handling one (the embedded hall and kiosk talk to the embedded idp
through ``httpx.ASGITransport``, in the same task) is not counted again: its outer request already was, and
counting the inner one under the transport's fixed address would make every kiosk share one bucket.
"""

from __future__ import annotations

import contextvars
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings

MAX_BUCKETS = 100_000  # forget the least recently seen addresses beyond this (memory stays bounded)

# (kind, method, path pattern): the first match decides.
RULES: list[tuple[str, str, re.Pattern[str]]] = [
    ("verify", "POST", re.compile(r"^/api/verify/(presentation|sd-jwt|pdf)$")),
    ("verify", "POST", re.compile(r"^/api/wallet/verify/pdf$")),
    ("verify", "POST", re.compile(r"^/verify(/pdf)?$")),
    ("verify", "GET", re.compile(r"^/verify$")),
    ("status", "GET", re.compile(r"^/api/licenses/[^/]+/status$")),
    ("status", "GET", re.compile(r"^/api/applications/status$")),
    ("status", "GET", re.compile(r"^/hall/progress$")),  # the same query as a page (serial + query code)
    ("login", "POST", re.compile(r"^/login(/totp)?$")),
    ("login", "POST", re.compile(r"^/password-reset$")),
    ("create", "GET", re.compile(r"^/hall/(login|switch)$")),
    ("create", "POST", re.compile(r"^/device_authorization$")),
    ("create", "POST", re.compile(r"^/kiosk/start$")),
    ("create", "POST", re.compile(r"^/register$")),
]
PAGE_PATHS = re.compile(r"^/(verify|login|password-reset|register|hall/|kiosk/)")
# Set while a request that went through the limiter is being handled (see the module docstring).
_admitted: contextvars.ContextVar[bool] = contextvars.ContextVar("onenumber_rate_admitted", default=False)


def kind_of(method: str, path: str) -> str | None:
    """The limited kind of this request, or None."""
    for kind, rule_method, pattern in RULES:
        if method == rule_method and pattern.match(path):
            return kind
    return None


class TokenBucket:
    """``rate`` requests per minute with bursts up to ``rate``, per key; thread-safe, bounded memory."""

    def __init__(self, rate: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0 if allowed, else the seconds until one is available."""
        per_second = self.rate / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / per_second
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """ASGI middleware applying the buckets of :data:`RULES` per client address."""

    def __init__(self, app: ASGIApp, *, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        rates = {
            "verify": settings.rate_limit_verify_per_minute,
            "status": settings.rate_limit_status_per_minute,
            "login": settings.rate_limit_login_per_minute,
            "create": settings.rate_limit_create_per_minute,
        }
        self.buckets = {kind: TokenBucket(rate, clock=clock) for kind, rate in rates.items() if rate > 0}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.buckets or _admitted.get():
            await self.app(scope, receive, send)
            return
        kind = kind_of(scope.get("method", "GET"), scope.get("path", ""))
        bucket = self.buckets.get(kind) if kind else None
        if bucket is not None:
            client = scope.get("client")
            wait = bucket.take(client[0] if client else "unknown")
            if wait > 0:
                await _too_many(scope, send, math.ceil(wait))
                return
        token = _admitted.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            _admitted.reset(token)


async def _too_many(scope: Scope, send: Send, retry_after: int) -> None:
    """429 with Retry-After: JSON for the API, a human page for pages."""
    if PAGE_PATHS.match(scope.get("path", "")):
        body = (
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>请求过于频繁 · Too many "
            f"requests</title></head><body><main><h1>请求过于频繁</h1><p>请在 {retry_after} 秒后重试。</p>"
            f"<p lang=\"en\">Too many requests from this address. Please try again in {retry_after} seconds."
            "</p></main></body></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps(
            {
                "error": "rate_limited",
                "detail": f"too many requests from this address; try again in {retry_after} seconds",
                "field": None,
            }
        ).encode()
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
