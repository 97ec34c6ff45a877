"""The security and cache headers each kind of URL answers with (issue 13): idp pages, hall, console, kiosk,
admin and verify pages, the API, the protocol endpoints, static files, PDFs and the console's PDF preview.

The table was recorded on the code before the web kit (core/web) replaced the two page kits and each
router started declaring its own cache policy; it must not change by accident. ``ONENUMBER_RECORD_HEADERS=1``
prints the observed table instead of checking it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

HEADERS = (
    "cache-control",
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "strict-transport-security",
    "pragma",
)
IDP_PAGE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
)
CHANNELS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
PDF_PREVIEW_CSP = "frame-ancestors 'self'"

NOSNIFF_SAME_ORIGIN = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}
IDP_PAGE = {"cache-control": "no-store", "content-security-policy": IDP_PAGE_CSP, "x-frame-options": "DENY",
            **NOSNIFF_SAME_ORIGIN}
CHANNELS_PAGE = {"cache-control": "no-store", "content-security-policy": CHANNELS_CSP, **NOSNIFF_SAME_ORIGIN}
PRIVATE_API = {"cache-control": "no-store", "content-security-policy": API_CSP, **NOSNIFF_SAME_ORIGIN}
PUBLIC_API = {"content-security-policy": API_CSP, **NOSNIFF_SAME_ORIGIN}

# (name, role, method, path template, expected status, expected headers); paths are formatted with the
# world's references. Roles: "anonymous" (no cookie, no token), a person with a hall session ("holder_a",
# "approver_x"), or "api:<role>" (that role's bearer token).
CASES: list[tuple[str, str, str, str, int, dict[str, str]]] = [
    ("idp login page", "anonymous", "GET", "/login", 200, IDP_PAGE),
    ("idp register page", "anonymous", "GET", "/register", 200, IDP_PAGE),
    ("idp reset page", "anonymous", "GET", "/password-reset", 200, IDP_PAGE),
    ("idp device page", "anonymous", "GET", "/device", 200, IDP_PAGE),
    ("idp account redirect", "anonymous", "GET", "/account/sessions", 303, IDP_PAGE),
    ("idp refused form", "anonymous", "POST", "/login", 403, IDP_PAGE),
    ("authorize refused", "anonymous", "GET", "/authorize?client_id=nope", 400, IDP_PAGE),
    ("authorize to login", "anonymous", "GET", "/authorize?{authorize_query}", 302, PUBLIC_API),
    ("idp logout page", "anonymous", "GET", "/logout", 200, IDP_PAGE),
    ("hall welcome", "anonymous", "GET", "/hall", 200, CHANNELS_PAGE),
    ("hall page", "holder_a", "GET", "/hall/licenses", 200, CHANNELS_PAGE),
    ("hall login redirect", "anonymous", "GET", "/hall/licenses", 303, CHANNELS_PAGE),
    ("hall error page", "holder_a", "GET", "/hall/licenses/{license_missing}", 404, CHANNELS_PAGE),
    ("hall unknown path", "anonymous", "GET", "/hall/no-such-page", 404,
     {"cache-control": "no-store", "content-security-policy": API_CSP, **NOSNIFF_SAME_ORIGIN}),
    ("hall bad csrf", "holder_a", "POST", "/hall/logout", 403, CHANNELS_PAGE),
    ("hall pdf download", "holder_a", "GET", "/hall/licenses/{license_a}/pdf", 200, PRIVATE_API),
    ("public progress page", "anonymous", "GET", "/hall/progress", 200, CHANNELS_PAGE),
    ("console page", "approver_x", "GET", "/console", 200, CHANNELS_PAGE),
    ("console forbidden", "holder_a", "GET", "/console", 403, CHANNELS_PAGE),
    ("console pdf preview", "approver_x", "GET", "/console/applications/{app_a_done}/result.pdf", 200,
     {"cache-control": "no-store", "content-security-policy": PDF_PREVIEW_CSP, **NOSNIFF_SAME_ORIGIN}),
    ("kiosk welcome", "anonymous", "GET", "/kiosk", 200, CHANNELS_PAGE),
    ("kiosk poll", "anonymous", "GET", "/kiosk/poll", 200, CHANNELS_PAGE),
    ("admin page", "admin", "GET", "/admin", 200, CHANNELS_PAGE),
    ("verify page", "anonymous", "GET", "/verify", 200, CHANNELS_PAGE),
    ("verify token", "anonymous", "GET", "/verify?t={presentation_a}", 200, CHANNELS_PAGE),
    ("static file", "anonymous", "GET", "/web/static/app.css", 200,
     {"cache-control": "public, max-age=300", "content-security-policy": API_CSP, **NOSNIFF_SAME_ORIGIN}),
    ("favicon", "anonymous", "GET", "/favicon.ico", 200,
     {"cache-control": "public, max-age=300", "content-security-policy": API_CSP, **NOSNIFF_SAME_ORIGIN}),
    ("api json", "api:holder_a", "GET", "/api/wallet/licenses", 200, PRIVATE_API),
    ("api unauthenticated", "anonymous", "GET", "/api/wallet/licenses", 401, PRIVATE_API),
    ("api unknown path", "anonymous", "GET", "/api/wallet/no-such-thing", 404, PRIVATE_API),
    ("api public catalog", "anonymous", "GET", "/api/services", 200, PUBLIC_API),
    ("api verify", "api:dept_nogrant", "POST", "/api/verify/presentation", 422, PRIVATE_API),
    ("jwks", "anonymous", "GET", "/jwks.json", 200, {"cache-control": "public, max-age=60", **PUBLIC_API}),
    ("discovery", "anonymous", "GET", "/.well-known/openid-configuration", 200, PUBLIC_API),
    ("token endpoint", "anonymous", "POST", "/token", 400, {**PRIVATE_API, "pragma": "no-cache"}),
    ("userinfo", "anonymous", "GET", "/userinfo", 401, PRIVATE_API),
    ("health", "anonymous", "GET", "/healthz", 200, PUBLIC_API),
    ("docs", "anonymous", "GET", "/docs", 200,
     {"content-security-policy": DOCS_CSP, **NOSNIFF_SAME_ORIGIN}),
    ("unknown path", "anonymous", "GET", "/no-such-page", 404, PUBLIC_API),
]


def _request(world: Any, role: str, method: str, path: str) -> Any:
    if role == "anonymous":
        return world.client.request(method, path, follow_redirects=False)
    if role.startswith("api:"):
        return world.api(role.removeprefix("api:"), method, path)
    return world.page(role, method, path)


def _observed(response: Any) -> dict[str, str]:
    return {name: response.headers[name] for name in HEADERS if name in response.headers}


@pytest.fixture
def refs(world: Any) -> dict[str, str]:
    """The world's references plus an authorization query of the hall (answered by a redirect to log in)."""
    query = ("response_type=code&client_id=hall&redirect_uri=http%3A%2F%2Ftestserver%2Fhall%2Fcallback"
             "&scope=openid&state=s&nonce=n&code_challenge=" + "a" * 43 + "&code_challenge_method=S256")
    return {**world.refs, "authorize_query": query}


def test_each_kind_of_url_keeps_its_headers(world: Any, refs: dict[str, str]) -> None:
    observed = []
    for name, role, method, template, _status, _expected in CASES:
        response = _request(world, role, method, template.format(**refs))
        observed.append((name, response.status_code, _observed(response)))
    if os.environ.get("ONENUMBER_RECORD_HEADERS"):
        for name, status, headers in observed:
            print(f"{name!r}: {status} {headers!r}")
        pytest.skip("recorded, not checked")
    wrong = [
        f"{name}: {got_status} {got!r}\n    expected {status} {expected!r}"
        for (name, _role, _method, _path, status, expected), (_, got_status, got) in zip(CASES, observed, strict=True)
        if (got_status, got) != (status, expected)
    ]
    assert not wrong, "headers changed:\n" + "\n".join(wrong)


def test_production_adds_hsts_and_host_cookies(settings: Any, engine: Any) -> None:
    """Outside development every response gets HSTS, and the language switch sets a ``__Host-`` cookie with
    the BCP 47 code on the idp and the hall alike."""
    from fastapi.testclient import TestClient

    from onenumber.app import create_app

    production = settings.model_copy(update={
        "env": "production", "issuer": "https://onenumber.example", "s3_secret_key": "a-production-s3-secret",
    })
    hsts = "max-age=31536000; includeSubDomains"
    with TestClient(create_app(production), base_url="https://onenumber.example") as client:
        for path, cache in (("/login?lang=en", "no-store"), ("/hall?lang=en", "no-store"),
                            ("/jwks.json", "public, max-age=60"), ("/web/static/app.css", "public, max-age=300")):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 200, path
            assert response.headers["strict-transport-security"] == hsts, path
            assert response.headers["cache-control"] == cache, path
            if "lang=" in path:
                cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-lang="))
                assert cookie.startswith("__Host-lang=en;") and "Secure" in cookie and "Path=/" in cookie, cookie
                assert 'lang="en"' in response.text
        for old, new in (("zh", "zh-CN"), ("zh-cn", "zh-CN"), ("en-GB", "en")):
            response = client.get(f"/hall?lang={old}", follow_redirects=False)
            assert f'lang="{new}"' in response.text and f"__Host-lang={new};" in response.headers["set-cookie"]


# Every path prefix that was personal (Cache-Control: no-store whatever the response set) before the routers
# declared their own: once the app is built, the declarations add up to exactly these.
NO_STORE_BEFORE = frozenset({
    "/api/wallet", "/api/licenses", "/api/applications", "/api/counter", "/api/complaints", "/api/appointments",
    "/api/departments", "/api/dashboard", "/api/verify", "/hall", "/console", "/kiosk", "/admin", "/verify",
    "/account", "/userinfo", "/token", "/introspect", "/login", "/logout", "/device", "/consent", "/blobs",
})


def test_the_routers_declare_the_same_no_store_paths_as_before(app: Any) -> None:
    from core.web.security import is_personal, no_store_prefixes

    assert no_store_prefixes() == NO_STORE_BEFORE
    assert is_personal("/hall") and is_personal("/hall/x") and is_personal("/hall?lang=en")
    assert not is_personal("/hallway") and not is_personal("/api/services") and not is_personal("/register")
