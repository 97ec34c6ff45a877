"""The hall as an OpenID Connect relying party of our own idp: code + PKCE (S256), ID-token validation
against the published JWKS, refresh, and the device flow for the kiosk client.

OpenID Connect Core 1.0 §3.1 https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth ·
RFC 7636 (PKCE) · RFC 8628 (device grant). In the embedded default the idp is mounted in the same ASGI
app, so requests go through ``httpx.ASGITransport`` (no socket); otherwise over the network to the issuer.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.routing import NoMatchFound

from core.crypto import client_secret
from core.runtime import Runtime, Slot, runtime_of
from core.settings import Settings
from wallet.errors import WalletError

HALL_CLIENT = "hall"
KIOSK_CLIENT = "demo-kiosk"
# The wallet API scopes (wallet/dependencies.py) are granted to these first-party clients without consent;
# ``id_number`` is not asked for (it always needs consent), so API answers to these tokens mask numbers.
HALL_SCOPE = "openid profile offline_access wallet:read wallet:share wallet:apply"
KIOSK_SCOPE = "openid profile wallet:read wallet:share wallet:apply"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWKS_TTL = 60


def _no_keys(runtime: Runtime) -> list[tuple[float, KeySet]]:
    return []


# the identity provider's keys as last fetched: [(valid until, keys)], empty before the first fetch
_WEB_JWKS: Slot[list[tuple[float, KeySet]]] = Slot("channels.web_jwks", _no_keys)


class LoginError(WalletError):
    """The sign-in could not be completed (bad state, refused code, invalid ID token)."""

    code = "login_failed"
    status_code = 400


def hall_secret(settings: Settings) -> str:
    """The hall's client secret, derived from the master key as the idp seed registers it (one derivation)."""
    return client_secret(HALL_CLIENT, master_key=settings.secret_key)


def redirect_uri(settings: Settings) -> str:
    """Where the idp sends the browser back with a code."""
    return f"{settings.issuer.rstrip('/')}/hall/callback"


@dataclass(frozen=True)
class Flow:
    """One authorization request's secrets, kept server-side until the callback."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Flow:
        """Fresh random state, nonce and PKCE verifier."""
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        """RFC 7636 §4.2 S256 code challenge."""
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(
    settings: Settings, flow: Flow, *, prompt: str | None = None, lang: str | None = None
) -> str:
    """The /authorize URL of a code + PKCE request for the hall (local path: same origin as the issuer)."""
    params = {
        "response_type": "code",
        "client_id": HALL_CLIENT,
        "redirect_uri": redirect_uri(settings),
        "scope": HALL_SCOPE,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": flow.challenge,
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    if lang:
        params["ui_locales"] = lang
    return "/authorize?" + urlencode(params)


def _serves_idp(request: Request) -> bool:
    """True when the idp is mounted in this very app (the embedded default)."""
    try:
        request.app.url_path_for("token_endpoint")
    except NoMatchFound:
        return False
    return True


def _client(request: Request, settings: Settings) -> httpx.AsyncClient:
    if _serves_idp(request):
        transport = httpx.ASGITransport(app=request.app)
        return httpx.AsyncClient(transport=transport, base_url=settings.issuer, timeout=30)
    return httpx.AsyncClient(base_url=settings.issuer, timeout=30)


async def _post_token(
    request: Request, settings: Settings, data: dict[str, str], *, auth: Any
) -> httpx.Response:
    async with _client(request, settings) as client:
        return await client.post("/token", data=data, auth=auth)


async def exchange_code(request: Request, settings: Settings, *, code: str, flow: Flow) -> dict[str, Any]:
    """Trade the code for tokens (client_secret_basic + PKCE verifier) and validate the ID token."""
    response = await _post_token(
        request,
        settings,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(settings),
            "code_verifier": flow.verifier,
        },
        auth=(HALL_CLIENT, hall_secret(settings)),
    )
    if response.status_code != 200:
        raise LoginError(f"the identity provider refused the code ({_error_of(response)})")
    tokens: dict[str, Any] = response.json()
    claims = await validate_id_token(request, settings, tokens.get("id_token", ""), nonce=flow.nonce)
    tokens["id_claims"] = claims
    return tokens


async def refresh(request: Request, settings: Settings, *, refresh_token: str) -> dict[str, Any] | None:
    """New tokens from a refresh token, or None when the idp refuses (the session then ends)."""
    response = await _post_token(
        request,
        settings,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(HALL_CLIENT, hall_secret(settings)),
    )
    if response.status_code != 200:
        return None
    tokens: dict[str, Any] = response.json()
    return tokens


async def _keyset(request: Request, settings: Settings, *, force: bool = False) -> KeySet:
    cached = runtime_of(request).get(_WEB_JWKS)
    if cached and not force and cached[0][0] > time.monotonic():
        keyset: KeySet = cached[0][1]
        return keyset
    async with _client(request, settings) as client:
        response = await client.get("/jwks.json")
    if response.status_code != 200:
        raise LoginError("the identity provider's keys are unavailable")
    keyset = KeySet.import_key_set(response.json())
    cached[:] = [(time.monotonic() + JWKS_TTL, keyset)]
    return keyset


async def validate_id_token(
    request: Request, settings: Settings, id_token: str, *, nonce: str
) -> dict[str, Any]:
    """OIDC Core §3.1.3.7: signature by a published key, ``iss``, ``aud``, ``exp``, ``nonce``."""
    if not id_token:
        raise LoginError("the identity provider returned no ID token")
    keyset = await _keyset(request, settings)
    try:
        try:
            token = jwt.decode(id_token, keyset, algorithms=["ES256", "RS256"])
        except JoseError:
            # A key rotated since we cached the set: fetch it once more.
            token = jwt.decode(
                id_token, await _keyset(request, settings, force=True), algorithms=["ES256", "RS256"]
            )
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": HALL_CLIENT},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise LoginError(f"the ID token is not valid ({exc})") from exc
    return dict(token.claims)


async def device_authorization(request: Request, settings: Settings) -> dict[str, Any]:
    """RFC 8628 §3.1: a device code and user code for the kiosk client."""
    async with _client(request, settings) as client:
        response = await client.post(
            "/device_authorization", data={"client_id": KIOSK_CLIENT, "scope": KIOSK_SCOPE}
        )
    if response.status_code != 200:
        raise LoginError(f"the identity provider refused the kiosk ({_error_of(response)})")
    body: dict[str, Any] = response.json()
    return body


async def device_poll(
    request: Request, settings: Settings, *, device_code: str
) -> tuple[str, dict[str, Any]]:
    """RFC 8628 §3.4–3.5: ``("ok", tokens)`` or ``(error code, {})`` such as ``authorization_pending``."""
    response = await _post_token(
        request,
        settings,
        {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": KIOSK_CLIENT},
        auth=None,
    )
    if response.status_code == 200:
        tokens: dict[str, Any] = response.json()
        return "ok", tokens
    return _error_of(response), {}


async def revoke(request: Request, settings: Settings, *, token: str, hall: bool = True) -> None:
    """RFC 7009: revoke a token at logout (best effort: an unreachable idp must not keep anyone logged in)."""
    data = {"token": token} if hall else {"token": token, "client_id": KIOSK_CLIENT}
    try:
        async with _client(request, settings) as client:
            if hall:
                await client.post("/revoke", data=data, auth=(HALL_CLIENT, hall_secret(settings)))
            else:
                await client.post("/revoke", data=data)
    except httpx.HTTPError:
        return


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("error") or f"HTTP {response.status_code}")
