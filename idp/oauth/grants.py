"""Which grants and endpoints the authorization server offers.

Whoever builds a server registers them (as authlib's own integrations leave ``register_grant`` and
``register_endpoint`` to the application): :func:`idp.oauth.adapter.new_server` calls :func:`register_all`.
The server module itself knows none of the grants, so the grants may use it without a circle.
"""

from __future__ import annotations

from authlib.oauth2 import AuthorizationServer

from idp.oauth.authorization_code import AuthorizationCodeGrant, IdToken
from idp.oauth.client_credentials import ClientCredentialsGrant
from idp.oauth.device import DeviceAuthorizationEndpoint, DeviceCodeGrant
from idp.oauth.introspection import IntrospectionEndpoint
from idp.oauth.pkce import S256CodeChallenge
from idp.oauth.refresh import RefreshTokenGrant
from idp.oauth.revocation import RevocationEndpoint


def register_all(server: AuthorizationServer) -> None:
    """Register every grant (with PKCE S256 and ID tokens on the code grant) and endpoint."""
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), IdToken()])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(DeviceCodeGrant)
    server.register_endpoint(DeviceAuthorizationEndpoint)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
