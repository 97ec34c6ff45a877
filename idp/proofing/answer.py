"""The signed answer of a proofing provider: a compact JWS (ES256) over
``{iss, transaction, nonce, match, level, checked_at, reason}``, header ``typ: proofing-answer+jwt`` and
the ``kid`` of a key in the provider's JWKS. Signed by the simulator, verified by the platform.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from idp.proofing.api import LEVELS, ProofingRefused, Verdict

TYP = "proofing-answer+jwt"
ALGORITHMS = ["ES256"]
CLOCK_SKEW = 60  # seconds an answer may seem to come from the future


def sign(claims: dict[str, Any], key: ECKey) -> str:
    """The compact JWS of ``claims`` with the provider's private key."""
    return jwt.encode({"alg": "ES256", "typ": TYP, "kid": key.kid}, claims, key)


def load_keys(text: str) -> KeySet:
    """Public keys from settings: a JWKS, a single JWK (JSON), or a PEM public key."""
    text = text.strip()
    try:
        if text.startswith("{"):
            data = json.loads(text)
            return KeySet.import_key_set(data if "keys" in data else {"keys": [data]})
        return KeySet([ECKey.import_key(text)])
    except (ValueError, JoseError) as exc:
        raise ProofingRefused(f"the proofing provider's public key is unreadable: {exc}") from None


def verify(
    token: str, *, keys: KeySet, issuer: str, nonce: str, max_age: int, now: float | None = None
) -> Verdict:
    """The verdict in ``token`` once signature, issuer, nonce and freshness are right; else ProofingRefused."""
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise ProofingRefused(f"the proofing answer's signature does not verify ({type(exc).__name__})") from None
    if decoded.header.get("typ") != TYP:
        raise ProofingRefused("the proofing answer has the wrong type")
    claims = decoded.claims
    if claims.get("iss") != issuer.rstrip("/"):
        raise ProofingRefused("the proofing answer comes from another issuer")
    if claims.get("nonce") != nonce:
        raise ProofingRefused("the proofing answer is for another request (nonce)")
    checked_at = claims.get("checked_at")
    if not isinstance(checked_at, int) or isinstance(checked_at, bool):
        raise ProofingRefused("the proofing answer has no checked_at")
    now = time.time() if now is None else now
    if checked_at > now + CLOCK_SKEW or now - checked_at > max_age:
        raise ProofingRefused("the proofing answer is not fresh")
    match = claims.get("match")
    if not isinstance(match, bool):
        raise ProofingRefused("the proofing answer has no match")
    level = claims.get("level")
    if match and level not in LEVELS:
        raise ProofingRefused("the proofing answer vouches for an unknown level")
    return Verdict(
        match=match,
        level=str(level) if match else None,
        nonce=nonce,
        transaction=str(claims.get("transaction", "")),
        checked_at=datetime.fromtimestamp(checked_at, UTC),
        reason=None if match else str(claims.get("reason") or "no_match"),
    )
