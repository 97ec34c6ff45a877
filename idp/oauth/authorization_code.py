"""RFC 6749 §4.1 — Authorization Code Grant, with OpenID Connect ID tokens.

https://www.rfc-editor.org/rfc/rfc6749#section-4.1 ·
https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth

A code is single-use. The exchange records on the code what it minted (the access token's ``jti`` and
expiry, the refresh-token family); a second exchange is refused and revokes all of it (RFC 6749 §4.1.2:
"SHOULD revoke (when possible) all tokens previously issued based on that authorization code"; §10.5).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, grants
from authlib.oidc.core import OpenIDCode
from sqlalchemy import bindparam, select, update

from core import worklog
from core.clock import utcnow
from idp.oauth.claims import principal_for_grant, user_claims
from idp.oauth.hashing import token_hash
from idp.oauth.models import AuthorizationCode, RefreshToken
from idp.oauth.refresh import revoke_family
from idp.parties.models import Person
from idp.tokens import Principal, half_hash, revoke_access_token, sign

CODE_TTL = timedelta(seconds=60)


# Built once (building a statement costs more than running it): the code with its person, and the claim.
_FIND = (
    select(AuthorizationCode, Person)
    .outerjoin(Person, Person.id == AuthorizationCode.person_id)
    .where(AuthorizationCode.code_hash == bindparam("code_hash"))
)
_CLAIM = (
    update(AuthorizationCode)
    .where(AuthorizationCode.code_hash == bindparam("claimed_hash"), AuthorizationCode.used_at.is_(None))
    .values(used_at=bindparam("now"), minted=bindparam("minted"))
    .execution_options(synchronize_session=False)
)
_FAMILY = select(RefreshToken.family).where(RefreshToken.token_hash == bindparam("refresh_hash"))


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Codes are stored hashed, live 60 s and are single-use (a replay is ``invalid_grant``)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        principal: Principal = request.user
        data = request.payload.data
        self.server.session.add(
            AuthorizationCode(
                code_hash=token_hash(code),
                client_id=request.client.client_id,
                person_id=principal.person_id,
                sid=principal.sid or "",
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                acr=principal.acr,
                amr=principal.amr,
                auth_time=datetime.fromtimestamp(principal.auth_time, UTC),
                act_for=principal.act_for,
                expires_at=utcnow() + CODE_TTL,
            )
        )
        self.server.session.flush()

    def query_authorization_code(self, code: str, client: Any) -> CodeView | None:
        found = self.server.session.execute(_FIND, {"code_hash": token_hash(code)}).first()
        if found is None:
            return None
        row, person = found
        if row.client_id != client.client_id:
            return None
        if row.used_at is not None:
            revoke_minted(session=self.server.session, row=row)  # §4.1.2, §10.5: a replay
            return None
        if row.expires_at <= utcnow():
            return None  # RFC 6749 §4.1.2: expired codes are invalid_grant
        # the view holds the person, so the ID token's claims (session.get) come from the identity map
        return CodeView(row, person=person)

    def save_token(self, token: dict[str, Any]) -> None:
        super().save_token(token)
        claims = self.server.issued_claims or {}
        minted: dict[str, Any] = {
            "jti": claims.get("jti"),
            "exp": claims.get("exp"),
            "client_id": claims.get("client_id"),
            "sub": claims.get("sub"),
        }
        refresh = token.get("refresh_token")
        if refresh:
            minted["family"] = self.server.session.execute(
                _FAMILY, {"refresh_hash": token_hash(refresh)}
            ).scalar_one_or_none()
        self.request.minted = minted

    def delete_authorization_code(self, authorization_code: CodeView) -> None:
        # Claim the code atomically: of two parallel exchanges only one commits tokens. The claim also
        # records what this exchange minted, for the revocation on a later replay.
        minted = getattr(self.request, "minted", None)
        claimed = self.server.session.execute(
            _CLAIM, {"claimed_hash": authorization_code.row.code_hash, "now": utcnow(), "minted": minted}
        ).rowcount
        if claimed != 1:
            raise InvalidGrantError("The authorization code was already used.")

    def authenticate_user(self, authorization_code: CodeView) -> Principal | None:
        row, person = authorization_code.row, authorization_code.person
        if person is None:
            return None
        facts = {
            "acr": row.acr,
            "amr": row.amr,
            "auth_time": int(row.auth_time.timestamp()),
            "act_for": row.act_for,
        }
        return principal_for_grant(
            session=self.server.session,
            settings=self.server.settings,
            person=person,
            sid=row.sid or None,
            facts=facts,
            client=self.request.client.row,
        )


def revoke_minted(*, session: Any, row: AuthorizationCode) -> None:
    """A used code came back: revoke the access token and refresh family its exchange minted; commit.

    The commit is this function's: the token endpoint answers ``invalid_grant`` and rolls back otherwise.
    """
    minted = row.minted or {}
    if minted.get("jti") and minted.get("exp"):
        revoke_access_token(session=session, claims=minted)
    if minted.get("family"):
        revoke_family(session=session, family=str(minted["family"]))
    worklog.append(
        session=session,
        actor=f"client:{row.client_id}",
        action="token.code_replay",
        object=f"client:{row.client_id}",
        details={"revoked": {"jti": minted.get("jti"), "refresh_family": minted.get("family")}},
    )
    session.commit()


class CodeView:
    """authlib's ``AuthorizationCodeMixin`` view of a stored code."""

    def __init__(self, row: AuthorizationCode, *, person: Person | None = None) -> None:
        self.row, self.person = row, person
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri or None

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return list(self.row.amr)


class IdToken(OpenIDCode):  # type: ignore[misc]
    """Adds the ID token (OIDC Core §2, §3.1.3.6) signed with the client's algorithm and our ``kid``."""

    def __init__(self) -> None:
        super().__init__(require_nonce=False)

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False

    def __call__(self, grant: Any) -> None:
        # Prompt handling lives in idp.oauth.authorize; only the token side is delegated to authlib.
        grant.register_hook("after_create_token_response", self.process_token)

    def process_token(self, grant: Any, response: Any) -> dict[str, Any]:
        _, token, _ = response
        if "openid" in token.get("scope", "").split():
            token["id_token"] = self.build_id_token(grant.server, token, grant.request)
        return token

    def build_id_token(self, server: Any, token: dict[str, Any], request: Any) -> str:
        """Sign the ID token for this code exchange."""
        code: CodeView = request.authorization_code
        principal: Principal = request.user
        client = request.client
        settings = client.settings
        alg = client.id_token_signed_response_alg
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": settings.issuer,
            "aud": client.client_id,
            "azp": client.client_id,
            "iat": now,
            "exp": now + settings.id_token_ttl,
            "auth_time": code.get_auth_time(),
            "acr": code.get_acr(),
            "amr": code.get_amr(),
            "at_hash": half_hash(token["access_token"], alg),
        }
        if principal.sid:
            claims["sid"] = principal.sid
        if code.get_nonce():
            claims["nonce"] = code.get_nonce()
        claims.update(
            user_claims(session=server.session, settings=settings, principal=principal, scope=token["scope"])
        )
        return sign(claims, keyring=server.keyring, alg=alg)
