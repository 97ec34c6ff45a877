"""OpenID Connect Core 1.0 §5.3 — UserInfo Endpoint.

https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from core.settings import Settings
from idp.errors import IdpError, InvalidToken
from idp.oauth import clients as client_service
from idp.oauth import subjects
from idp.oauth.claims import principal_for, user_claims
from idp.tokens import is_revoked


class InsufficientScope(IdpError):
    """§5.3.3 / RFC 6750 §3.1: the token lacks the ``openid`` scope."""

    code = "insufficient_scope"
    status_code = 403


def userinfo(*, session: Session, settings: Settings, claims: dict[str, Any]) -> dict[str, Any]:
    """Claims of the token's person for the token's scope; the token is already signature-checked."""
    if is_revoked(session=session, claims=claims):
        raise InvalidToken("the token has been revoked")
    if claims.get("party_type") != "person" or "openid" not in str(claims.get("scope", "")).split():
        raise InsufficientScope("this token was not issued with the openid scope")
    # the token's sub is the one its client knows (public or pairwise, OIDC Core §8): found through the client
    client = client_service.get_cached(session=session, client_id=str(claims.get("client_id", "")))
    person = subjects.person_for(session=session, client=client, sub=str(claims["sub"]))
    if person is None:
        raise InvalidToken("the token's subject no longer exists")
    facts = {k: claims.get(k) for k in ("acr", "amr", "auth_time", "act_for")}
    principal = replace(
        principal_for(session=session, settings=settings, person=person, sid=claims.get("sid"), facts=facts),
        sub=str(claims["sub"]),  # §5.3.2: the sub of the token (= of its ID token)
    )
    return user_claims(session=session, settings=settings, principal=principal, scope=str(claims["scope"]))
