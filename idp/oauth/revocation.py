"""RFC 7009 — OAuth 2.0 Token Revocation. https://www.rfc-editor.org/rfc/rfc7009

Access tokens (JWTs) go on the ``jti`` revocation list; a refresh token revokes its whole family.
Unknown tokens answer 200 (§2.2).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint as _Revocation
from sqlalchemy import select

from core import worklog
from idp.errors import InvalidToken
from idp.oauth.hashing import token_hash
from idp.oauth.models import RefreshToken
from idp.oauth.refresh import revoke_family
from idp.tokens import decode, revoke_access_token


def find_token(server: Any, token: str, hint: str | None) -> TokenRef | None:
    """An access token (valid JWT of ours) or a refresh token row, whichever ``token`` is."""
    if hint != "refresh_token" and token.count(".") == 2:
        try:
            claims = decode(token, keyring=server.keyring, settings=server.settings)
        except InvalidToken:
            claims = None
        if claims is not None:
            return TokenRef(kind="access_token", client_id=str(claims.get("client_id")), claims=claims)
    row = server.session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token))
    ).first()
    if row is not None:
        return TokenRef(kind="refresh_token", client_id=row.client_id, refresh=row)
    return None


class TokenRef:
    """A token found by value: an access token's claims or a refresh token row."""

    def __init__(
        self, *, kind: str, client_id: str, claims: dict[str, Any] | None = None, refresh: Any = None
    ) -> None:
        self.kind, self.client_id, self.claims, self.refresh = kind, client_id, claims, refresh

    def check_client(self, client: Any) -> bool:
        return bool(self.client_id == client.client_id)


class RevocationEndpoint(_Revocation):  # type: ignore[misc]
    """Clients revoke their own tokens; public clients authenticate with their client id."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRef | None:
        return find_token(self.server, token_string, token_type_hint)

    def authenticate_token(self, request: Any, client: Any) -> TokenRef | None:
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        # §2.2: a token of another client is not revoked, and the answer does not say so.
        if token is not None and not token.check_client(client):
            return None
        return token

    def revoke_token(self, token: TokenRef, request: Any) -> None:
        session = self.server.session
        if token.kind == "access_token" and token.claims is not None:
            revoke_access_token(session=session, claims=token.claims)
            target = f"access_token:{token.claims['jti']}"
        else:
            revoke_family(session=session, family=token.refresh.family)
            target = f"refresh_family:{token.refresh.family}"
        worklog.append(
            session=session, actor=f"client:{token.client_id}", action="token.revoke", object=target
        )
