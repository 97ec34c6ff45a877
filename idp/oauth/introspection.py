"""RFC 7662 — OAuth 2.0 Token Introspection. https://www.rfc-editor.org/rfc/rfc7662

Confidential clients (resource servers, department systems) may introspect any token; inactive,
expired, revoked or foreign tokens answer ``{"active": false}`` (§2.2).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Introspection

from core.clock import utcnow
from idp.oauth.revocation import TokenRef, find_token
from idp.tokens import epoch, is_revoked


class IntrospectionEndpoint(_Introspection):  # type: ignore[misc]
    """Introspection for confidential clients (HTTP Basic or POST secret)."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        ref = find_token(self.server, token_string, token_type_hint)
        return None if ref is None else _Introspected(ref, self.server)

    def check_permission(self, token: Any, client: Any, request: Any) -> bool:
        return not client.is_public

    def introspect_token(self, token: _Introspected) -> dict[str, Any]:
        ref = token.ref
        if ref.claims is not None:
            body = {k: v for k, v in ref.claims.items() if k not in ("hid",)}
            body.update(active=True, token_type="Bearer")
            return body
        row = ref.refresh
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": row.client_id,
            "scope": row.scope,
            "exp": epoch(row.expires_at),
            "iat": epoch(row.issued_at),
            "iss": self.server.settings.issuer,
        }


class _Introspected:
    """The token mixin authlib asks about: expiry and revocation."""

    def __init__(self, ref: TokenRef, server: Any) -> None:
        self.ref, self.server = ref, server

    def is_expired(self) -> bool:
        if self.ref.claims is not None:
            return False  # decode() already refused expired JWTs
        return bool(self.ref.refresh.expires_at <= utcnow())

    def is_revoked(self) -> bool:
        if self.ref.claims is not None:
            return is_revoked(session=self.server.session, claims=self.ref.claims)
        row = self.ref.refresh
        return row.revoked_at is not None or row.used_at is not None
