"""Helpers for idp tests: PKCE and a browser-like login through the pages."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

RP = "demo-rp"
RP_REDIRECT = "http://127.0.0.1:3000/cb"
ZHANG = ("11010519491231002X", "Zhangsan-2026")
LI = ("110102199101010078", "Lisi-2026")
WANG = ("440882198503293017", "Wangwu-2026")


def pkce() -> tuple[str, str]:
    """A (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str | None, **extra: str) -> dict[str, str]:
    """Authorization request parameters for demo-rp."""
    params = {
        "response_type": "code",
        "client_id": RP,
        "redirect_uri": RP_REDIRECT,
        "scope": "openid profile offline_access",
        "state": "st-" + secrets.token_hex(4),
        "nonce": "n-123",
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def hidden(html: str, name: str) -> str:
    """A hidden input's value."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match
    import html as html_lib

    return html_lib.unescape(match.group(1))


def follow_to_callback(
    client: Any, response: Any, *, number: str, password: str, max_steps: int = 10, act_for: str | None = ""
) -> dict[str, list[str]]:
    """Drive login/select/consent pages until the redirect to the RP; return the callback query."""
    for _ in range(max_steps):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if location.startswith(RP_REDIRECT) or location.startswith("http://127.0.0.1:3000"):
                return parse_qs(urlparse(location).query)
            response = client.get(location, follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:800]
        page = response.text
        if 'action="/login"' in page:
            response = client.post(
                "/login",
                data={
                    "csrf": csrf_of(page),
                    "number": number,
                    "password": password,
                    "next": hidden(page, "next"),
                },
                follow_redirects=False,
            )
        elif 'action="/login/select"' in page:
            response = client.post(
                "/login/select",
                data={"csrf": csrf_of(page), "delegation": act_for or "", "next": hidden(page, "next")},
                follow_redirects=False,
            )
        elif 'action="/consent"' in page:
            response = client.post(
                "/consent",
                data={"csrf": csrf_of(page), "decision": "allow", "next": hidden(page, "next")},
                follow_redirects=False,
            )
        else:
            raise AssertionError(f"unexpected page: {page[:800]}")
    raise AssertionError("too many steps")


def login_code(
    client: Any, *, number: str = ZHANG[0], password: str = ZHANG[1], **extra: str
) -> tuple[str, str]:
    """Run authorize → login → code for demo-rp; return (code, verifier)."""
    verifier, challenge = pkce()
    params = authorize_params(challenge, **extra)
    response = client.get("/authorize?" + urlencode(params), follow_redirects=False)
    query = follow_to_callback(client, response, number=number, password=password)
    assert query.get("state") == [params["state"]], query
    return query["code"][0], verifier


def exchange(client: Any, code: str, verifier: str) -> Any:
    """Exchange a code at /token for demo-rp."""
    return client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": RP_REDIRECT,
            "client_id": RP,
            "code_verifier": verifier,
        },
    )
