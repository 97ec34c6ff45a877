"""RFC 6749 §4.4 — Client Credentials Grant for department systems.

https://www.rfc-editor.org/rfc/rfc6749#section-4.4 · tokens carry ``department`` (docs/CONTRACTS.md).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidScopeError, grants


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """Confidential clients only; the scope must be within the client's registered scopes."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def create_token_response(self) -> tuple[int, dict[str, Any], Any]:
        client = self.request.client
        scope = client.get_allowed_scope(self.request.payload.scope)
        if scope is None:
            raise InvalidScopeError()  # RFC 6749 §5.2
        token = self.generate_token(scope=scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
