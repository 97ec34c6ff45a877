"""Abuse limits and security headers (issue 8, item 6): rate limits on public verification, status queries
and login with 429 + Retry-After; CSP, frame-ancestors, nosniff, HSTS outside development, no-store."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from core.ratelimit import TokenBucket, kind_of
from core.settings import Settings
from onenumber.app import create_app


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits so the tests reach them quickly."""
    return settings.model_copy(update={
        "rate_limit_verify_per_minute": 3,
        "rate_limit_status_per_minute": 4,
        "rate_limit_login_per_minute": 2,
    })


def _from(app: Any, address: str, method: str, path: str, **kw: Any) -> httpx.Response:
    """One request from another client address (ASGI ``client``)."""

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.request(method, path, **kw)

    return asyncio.run(run())


def test_public_verification_is_limited_per_address(client: TestClient, app: Any) -> None:
    answers = [client.post("/api/verify/presentation", json={"token": "x.y.z"}) for _ in range(3)]
    assert all(r.status_code != 429 for r in answers), [r.status_code for r in answers]
    over = client.post("/api/verify/presentation", json={"token": "x.y.z"})
    assert over.status_code == 429
    assert over.json() == {
        "error": "rate_limited",
        "detail": over.json()["detail"],
        "field": None,
    } and "try again" in over.json()["detail"]
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.headers["Cache-Control"] == "no-store" and over.headers["X-Content-Type-Options"] == "nosniff"
    # the same kind through another endpoint shares the bucket; another address has its own
    assert client.post("/api/verify/sd-jwt", json={"credential": "a~"}).status_code == 429
    assert _from(app, "10.9.8.7", "POST", "/api/verify/presentation", json={"token": "x.y.z"}).status_code != 429
    # unrelated endpoints are not limited
    assert client.get("/healthz").status_code == 200


def test_status_queries_are_limited(client: TestClient) -> None:
    path = "/api/licenses/1.2.156.3005.2.X.Y.Z.1.A/status"
    codes = [client.get(path).status_code for _ in range(4)]
    assert 429 not in codes
    assert client.get("/api/applications/status?serial=2026&code=1").status_code == 429


def test_login_posts_get_a_human_page(client: TestClient) -> None:
    form = {"number": "110101198001010013", "password": "x", "csrf": "x"}
    for _ in range(2):
        assert client.post("/login", data=form).status_code != 429
    page = client.post("/login", data=form)
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert "请求过于频繁" in page.text and "Too many requests" in page.text
    assert int(page.headers["Retry-After"]) >= 1
    assert client.get("/login").status_code == 200  # showing the form is not limited


def test_a_limit_of_zero_turns_it_off(settings: Settings, engine: Any) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_verify_per_minute": 0}))
    with TestClient(app) as c:
        assert all(c.post("/api/verify/presentation", json={"token": "t"}).status_code != 429 for _ in range(10))


def test_token_bucket_refills_at_its_rate() -> None:
    now = [1000.0]
    bucket = TokenBucket(6, clock=lambda: now[0])  # one token every 10 s, bursts of 6
    assert [bucket.take("a") for _ in range(6)] == [0.0] * 6
    assert bucket.take("a") == pytest.approx(10.0)
    assert bucket.take("b") == 0.0
    now[0] += 10
    assert bucket.take("a") == 0.0
    assert bucket.take("a") > 0


def test_rules_name_the_right_endpoints() -> None:
    assert kind_of("POST", "/api/verify/presentation") == "verify"
    assert kind_of("POST", "/verify/pdf") == "verify"
    assert kind_of("GET", "/api/licenses/abc/status") == "status"
    assert kind_of("GET", "/api/applications/status") == "status"
    assert kind_of("POST", "/login") == "login" and kind_of("POST", "/password-reset") == "login"
    assert kind_of("GET", "/login") is None and kind_of("GET", "/api/licenses/abc") is None
    assert kind_of("POST", "/api/verify/license") is None  # authenticated departments, logged per read


def test_security_headers_on_api_and_pages(client: TestClient) -> None:
    api = client.get("/api/wallet/licenses")
    assert api.status_code == 401
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in api.headers  # development: plain http on loopback
    for path in ("/hall", "/verify", "/kiosk", "/login"):
        page = client.get(path, follow_redirects=False)
        csp = page.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
        assert page.headers["Cache-Control"] == "no-store", path
    for path in ("/token", "/userinfo", "/account/sessions", "/console", "/api/applications"):
        r = client.request("POST" if path == "/token" else "GET", path, follow_redirects=False)
        assert r.headers["Cache-Control"] == "no-store", path
    public = client.get("/jwks.json")
    assert public.headers["Cache-Control"].startswith("public")  # keys may be cached
    assert "frame-ancestors 'none'" in client.get("/docs").headers["Content-Security-Policy"]


def test_hsts_outside_development(settings: Settings, engine: Any) -> None:
    production = settings.model_copy(update={
        "env": "production",
        "issuer": "https://onenumber.example",
        "s3_secret_key": "a-production-s3-secret",
    })
    with TestClient(create_app(production), base_url="https://onenumber.example") as c:
        r = c.get("/healthz")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_security_headers_fill_in_and_never_loosen() -> None:
    """A response's own policy stays; personal paths always get no-store; a response sent twice is not
    given the headers twice."""
    from core.web.security import SecurityHeadersMiddleware

    own = [(b"content-type", b"text/html"), (b"content-security-policy", b"default-src 'self'"),
           (b"cache-control", b"max-age=60"), (b"cache-control", b"private")]
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": own})

    async def sink(message: Any) -> None:
        sent.append(message["headers"])

    async def run(path: str) -> None:
        await SecurityHeadersMiddleware(app, hsts=True)({"type": "http", "path": path}, None, sink)

    asyncio.run(run("/api/verify/presentation"))
    asyncio.run(run("/api/verify/presentation"))
    assert sent[0] == sent[1] and len(own) == 4  # the response's own list is left alone
    headers = dict(sent[0])
    assert len(sent[0]) == len(headers)  # one of each
    assert headers[b"content-security-policy"] == b"default-src 'self'"
    assert headers[b"cache-control"] == b"no-store"
    assert headers[b"x-content-type-options"] == b"nosniff" and headers[b"strict-transport-security"]
    sent.clear()
    asyncio.run(run("/jwks.json"))
    assert [v for k, v in sent[0] if k == b"cache-control"] == [b"max-age=60", b"private"]  # not personal
