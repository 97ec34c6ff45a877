"""JWT access tokens (docs/CONTRACTS.md), ID tokens and the verifier the wallet calls."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.runtime import Runtime, Slot, TokenVerifier
from core.settings import Settings
from idp import revocations
from idp.errors import InvalidToken
from idp.keys.service import KeyRing
from idp.oauth.models import AccessToken

ACCESS_TOKEN_AUDIENCE = "onenumber"
ALGORITHMS = ["ES256", "RS256"]


@dataclass
class Principal:
    """Who a token speaks for: a person (with login facts) or, for client credentials, nobody."""

    person_id: int
    sub: str
    name: str
    hid: str
    acr: str
    amr: list[str]
    auth_time: int
    sid: str | None
    roles: list[str] = field(default_factory=list)
    act_for: dict[str, Any] | None = None

    def claims(self) -> dict[str, Any]:
        """Login facts stored with codes and refresh tokens to rebuild the principal later."""
        return {"acr": self.acr, "amr": self.amr, "auth_time": self.auth_time, "act_for": self.act_for}


def epoch(value: datetime) -> int:
    """Seconds since the epoch of an aware datetime."""
    return int(value.astimezone(UTC).timestamp())


def sign(claims: dict[str, Any], *, keyring: KeyRing, alg: str = "ES256", typ: str = "JWT") -> str:
    """Sign ``claims`` with the active key of ``alg`` (header carries ``kid``)."""
    key = keyring.signing_key(alg)
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": typ}, claims, key.key, algorithms=[alg])


def issue_access_token(
    *,
    keyring: KeyRing,
    settings: Settings,
    client_id: str,
    scope: str,
    principal: Principal | None,
    department: str | None = None,
    expires_in: int | None = None,
    client_claims: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Sign an access token with the claims of docs/CONTRACTS.md; return it and its claims.

    ``client_claims`` (``idp.oauth.clients.token_claims``: ``client_name``, ``first_party``) go into person
    tokens, so resource servers can tell the platform's own channels from relying parties."""
    now = int(time.time())
    ttl = expires_in or settings.access_token_ttl
    until = (principal.act_for or {}).get("until") if principal is not None else None
    if until:  # acting for an organisation: never beyond the end of the delegation
        ttl = max(1, min(ttl, int(until) - now))
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": ACCESS_TOKEN_AUDIENCE,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
    }
    if principal is None:
        claims.update(sub=client_id, party_type="client")
        if department:
            claims["department"] = department
    else:
        claims.update(
            sub=principal.sub,
            party_type="person",
            name=principal.name,
            hid=principal.hid,
            acr=principal.acr,
            amr=principal.amr,
            auth_time=principal.auth_time,
            roles=principal.roles,
        )
        if principal.sid:
            claims["sid"] = principal.sid
        if principal.act_for:
            claims["act_for"] = principal.act_for
        claims.update(client_claims or {})
    return sign(claims, keyring=keyring, typ="at+jwt"), claims


def half_hash(value: str, alg: str) -> str:
    """``at_hash``: left half of the SHA-256 of the token, base64url (both ES256 and RS256 use SHA-256)."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


# Resource servers present the same bearer token on every call, so each process remembers the last
# VERIFIED_CACHE_SIZE tokens whose signature it checked (keyed by the whole token string, signature
# included, so a changed byte is a miss). The key must still be one we verify with, and issuer, expiry and
# revocation are checked on every call as before.
VERIFIED_CACHE_SIZE = 4096
_verified: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
_verified_lock = threading.Lock()


def _signature_checked(token: str, keyring: KeyRing) -> dict[str, Any]:
    with _verified_lock:
        hit = _verified.get(token)
        if hit is not None:
            _verified.move_to_end(token)
    if hit is not None and keyring.verification_key(hit[0]) is not None:
        return dict(hit[1])
    kid = _kid_of(token)
    if not kid:
        raise InvalidToken("the token has no key id")
    key = keyring.verification_key(kid)
    if key is None:
        raise InvalidToken("the token was signed by an unknown or retired key")
    try:
        claims = jwt.decode(token, key.key, algorithms=[key.alg]).claims
    except (JoseError, ValueError) as exc:
        raise InvalidToken("the token signature is invalid") from exc
    with _verified_lock:
        _verified[token] = (kid, dict(claims))
        if len(_verified) > VERIFIED_CACHE_SIZE:
            _verified.popitem(last=False)
    return dict(claims)


def decode(token: str, *, keyring: KeyRing, settings: Settings) -> dict[str, Any]:
    """Verify signature (by ``kid``), issuer and expiry; return the claims or raise InvalidToken."""
    claims = _signature_checked(token, keyring)
    now = int(time.time())
    if claims.get("iss") != settings.issuer:
        raise InvalidToken("the token was issued by someone else")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        raise InvalidToken("the token has expired")
    return claims


def _kid_of(token: str) -> str | None:
    try:
        head = token.split(".", 1)[0]
        data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, IndexError):
        return None
    kid = data.get("kid") if isinstance(data, dict) else None
    return kid if isinstance(kid, str) else None


def is_revoked(*, session: Session, claims: dict[str, Any]) -> bool:
    """True when the token's jti was revoked or its SSO session ended (see :mod:`idp.revocations`)."""
    return revocations.is_revoked(session=session, claims=claims)


def revoke_access_token(*, session: Session, claims: dict[str, Any]) -> None:
    """Put the token's jti on the revocation list (kept until the token would have expired)."""
    jti = claims["jti"]
    if session.get(AccessToken, jti) is None:
        session.add(
            AccessToken(
                jti=jti,
                client_id=str(claims.get("client_id", "")),
                sub=str(claims.get("sub", "")),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
                revoked_at=utcnow(),
            )
        )
        session.flush()


def _make_ring(runtime: Runtime) -> KeyRing:
    ring = KeyRing(runtime.sessionmaker, runtime.settings)
    ring.ensure_keys()
    return ring


KEYRING: Slot[KeyRing] = Slot("idp.keyring", _make_ring)
"""The process-wide key ring of an app (made on first use, one per runtime)."""


def keyring_for(runtime: Runtime) -> KeyRing:
    """The app's key ring."""
    return runtime.get(KEYRING)


def make_token_verifier(source: Runtime | sessionmaker[Session], settings: Settings) -> TokenVerifier:
    """``verify(token) -> claims`` for other packages: signature, kid, exp, iss and revocation.

    Raises IdpError ``invalid_token`` (401). Accepts the app's runtime (shares its key ring) or a
    sessionmaker (a ring of its own). Nothing touches the database until the first call, so it is safe to
    build in the app factory.
    """
    factory: sessionmaker[Session] = source.sessionmaker if isinstance(source, Runtime) else source
    rings: list[KeyRing] = []

    def ring() -> KeyRing:
        if not rings:
            if isinstance(source, Runtime):
                rings.append(keyring_for(source))
            else:
                own = KeyRing(factory, settings)
                own.ensure_keys()
                rings.append(own)
        return rings[0]

    def verify(token: str) -> dict[str, Any]:
        claims = decode(token, keyring=ring(), settings=settings)
        with factory() as session:
            if is_revoked(session=session, claims=claims):
                raise InvalidToken("the token has been revoked")
        return claims

    return verify


def _make_verifier(runtime: Runtime) -> TokenVerifier:
    return make_token_verifier(runtime, runtime.settings)


VERIFIER: Slot[TokenVerifier] = Slot("idp.verifier", _make_verifier)
"""The app's access-token verifier (what the composition root hands other packages as ``token_verifier``)."""
