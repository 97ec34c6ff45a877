"""Which grants and endpoints the authorization server offers."""

from __future__ import annotations

from typing import Any


def register_all(server: Any) -> None:
    """Register every grant (with PKCE S256 and ID tokens on the code grant) and endpoint."""
    from idp.oauth.authorization_code import AuthorizationCodeGrant, IdToken
    from idp.oauth.client_credentials import ClientCredentialsGrant
    from idp.oauth.device import DeviceAuthorizationEndpoint, DeviceCodeGrant
    from idp.oauth.introspection import IntrospectionEndpoint
    from idp.oauth.pkce import S256CodeChallenge
    from idp.oauth.refresh import RefreshTokenGrant
    from idp.oauth.revocation import RevocationEndpoint

    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), IdToken()])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(DeviceCodeGrant)
    server.register_endpoint(DeviceAuthorizationEndpoint)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
