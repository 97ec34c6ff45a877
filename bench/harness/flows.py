"""Scripted browser flows against our idp: authorize (code + PKCE) → login form → consent → code → tokens.

Used once to obtain refresh tokens for the refresh benchmark (one independent rotation family per virtual
user) and person access tokens for wallet endpoints, and in a loop for the password-login figure.
Forms are followed generically: the first ``<form>`` of a page, its hidden inputs, plus our fields.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import secrets
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

FORM = re.compile(r"<form\b[^>]*>", re.I | re.S)
ACTION = re.compile(r'action="([^"]*)"', re.I)
INPUT = re.compile(r"<input\b[^>]*>", re.I | re.S)
ATTR = re.compile(r'(\w+)="([^"]*)"')
MAX_HOPS = 12
_TLS: ssl.SSLContext | None = None


def browser(base: str) -> httpx.AsyncClient:
    """A fresh browser: empty cookie jar, new connections, one shared TLS trust store.

    httpx builds a new SSL context (loading the CA bundle, ~23 ms of CPU) for every client, even for
    plain http; a real browser loads its trust store once, so the login figure must not pay for it per login.
    """
    global _TLS
    if _TLS is None:
        _TLS = httpx.create_ssl_context()
    return httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30, verify=_TLS)


class FlowError(RuntimeError):
    """The scripted flow did not end at the redirect URI with a code."""


@dataclass(frozen=True)
class RelyingParty:
    """The client the flow logs in to."""

    client_id: str
    redirect_uri: str
    scope: str
    secret: str | None = None


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _form(page: str) -> tuple[str, dict[str, str]]:
    match = FORM.search(page)
    if match is None:
        raise FlowError(f"expected a form, got: {page[:300]!r}")
    action_m = ACTION.search(match.group(0))
    action = html.unescape(action_m.group(1)) if action_m else ""
    rest = page[match.end() :]
    end = rest.lower().find("</form>")
    fields: dict[str, str] = {}
    for tag in INPUT.findall(rest[: end if end >= 0 else None]):
        attrs = {k.lower(): html.unescape(v) for k, v in ATTR.findall(tag)}
        if attrs.get("type", "text").lower() == "hidden" and "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    return action, fields


async def login_for_code(
    client: httpx.AsyncClient,
    *,
    rp: RelyingParty,
    number: str,
    password: str,
    extra: dict[str, str] | None = None,
) -> tuple[str, str]:
    """Run the browser part of the code flow with ``client`` (its cookie jar is the browser); (code, verifier)."""
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": rp.scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    response = await client.get("/authorize?" + urlencode(params))
    for _ in range(MAX_HOPS):
        if response.status_code in (301, 302, 303, 307):
            location = response.headers["location"]
            if location.startswith(rp.redirect_uri):
                query = parse_qs(urlsplit(location).query)
                if "code" not in query:
                    raise FlowError(f"redirected without a code: {location}")
                return query["code"][0], verifier
            response = await client.get(location)
            continue
        if response.status_code != 200:
            raise FlowError(
                f"{response.request.url.path} answered {response.status_code}: {response.text[:300]!r}"
            )
        action, fields = _form(response.text)
        path = response.request.url.path
        if "password" in response.text and "login" in path:
            fields.update({"number": number, "password": password})
        else:  # consent (or organisation choice: act for oneself)
            fields.setdefault("decision", "allow")
        target = urljoin(str(response.request.url), action) if action else str(response.request.url)
        response = await client.post(target, data=fields)
    raise FlowError("too many redirects in the login flow")


async def exchange(
    client: httpx.AsyncClient, *, rp: RelyingParty, code: str, verifier: str
) -> dict[str, Any]:
    """The token request of the code flow."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": rp.redirect_uri,
        "code_verifier": verifier,
        "client_id": rp.client_id,
    }
    auth = (rp.client_id, rp.secret) if rp.secret else None
    response = (
        await client.post("/token", data=data, auth=auth) if auth else await client.post("/token", data=data)
    )
    if response.status_code != 200:
        raise FlowError(f"token endpoint answered {response.status_code}: {response.text[:300]!r}")
    body: dict[str, Any] = response.json()
    return body


async def refresh_families(
    base: str, *, rp: RelyingParty, number: str, password: str, count: int, deadline_s: float = 120
) -> list[str]:
    """``count`` independent refresh tokens: one login, then one code exchange per family (SSO cookie)."""
    out: list[str] = []
    t0 = time.monotonic()
    async with browser(base) as client:
        while len(out) < count:
            if time.monotonic() - t0 > deadline_s:
                raise FlowError(f"only {len(out)} of {count} refresh tokens within {deadline_s} s")
            code, verifier = await login_for_code(client, rp=rp, number=number, password=password)
            tokens = await exchange(client, rp=rp, code=code, verifier=verifier)
            if "refresh_token" not in tokens:
                raise FlowError(f"no refresh_token in {sorted(tokens)} (scope {rp.scope!r})")
            out.append(tokens["refresh_token"])
    return out


async def person_tokens(base: str, *, rp: RelyingParty, number: str, password: str) -> dict[str, Any]:
    """One full login; the token response."""
    async with browser(base) as client:
        code, verifier = await login_for_code(client, rp=rp, number=number, password=password)
        return await exchange(client, rp=rp, code=code, verifier=verifier)


async def login_loop(
    base: str,
    *,
    rp: RelyingParty,
    accounts: list[tuple[str, str]],
    concurrency: int,
    duration: float,
    warmup: float = 2.0,
) -> dict[str, Any]:
    """Full password logins (fresh browser each: authorize → login → code → token) at fixed concurrency."""
    lat: list[float] = []
    errors: list[str] = []
    completed = [0]  # every login that finished, warm-up included (CPU per login is over the whole loop)
    cpu0 = time.process_time()
    start = time.perf_counter()
    t_on, t_off = start + warmup, start + warmup + duration

    async def vu(k: int) -> None:
        i = k
        while time.perf_counter() < t_off:
            number, password = accounts[i % len(accounts)]
            i += concurrency
            # a fresh browser each time: empty cookie jar, new connection
            async with browser(base) as client:
                t0 = time.perf_counter()
                try:
                    code, verifier = await login_for_code(client, rp=rp, number=number, password=password)
                    await exchange(client, rp=rp, code=code, verifier=verifier)
                except (FlowError, httpx.HTTPError) as exc:
                    if t0 >= t_on and len(errors) < 1000:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                t1 = time.perf_counter()
                completed[0] += 1
                if t0 >= t_on and t1 <= t_off:
                    lat.append(t1 - t0)

    await asyncio.wait_for(asyncio.gather(*(vu(k) for k in range(concurrency))), warmup + duration + 60)
    client_cpu = time.process_time() - cpu0
    lat.sort()
    ms = [x * 1000 for x in lat]

    def pct(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(q / 100 * len(ms)))], 1) if ms else 0.0

    return {
        "name": "password login flow",
        "concurrency": concurrency,
        "duration_s": duration,
        "ok": len(ms),
        "errors": len(errors),
        "rps": round(len(ms) / duration, 1),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "error_samples": errors[:3],
        "completed": completed[0],
        "client_cpu_ms": round(1000 * client_cpu / completed[0], 1) if completed[0] else None,
    }
