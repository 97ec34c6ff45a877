"""OpenID Connect Discovery 1.0 — provider metadata.

https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.settings import Settings
from idp.oauth import clients as client_service
from idp.oauth.device import DEVICE_GRANT_TYPE
from idp.oauth.server import STANDARD_SCOPES
from idp.oauth.subjects import SUBJECT_TYPES


def metadata(*, session: Session, settings: Settings) -> dict[str, Any]:
    """The provider configuration document."""
    iss = settings.issuer
    scopes = list(STANDARD_SCOPES)
    for row in client_service.list_all(session=session):
        scopes.extend(s for s in row.scopes if s not in scopes)
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/authorize",
        "token_endpoint": f"{iss}/token",
        "userinfo_endpoint": f"{iss}/userinfo",
        "jwks_uri": f"{iss}/jwks.json",
        "revocation_endpoint": f"{iss}/revoke",
        "introspection_endpoint": f"{iss}/introspect",
        "device_authorization_endpoint": f"{iss}/device_authorization",
        "end_session_endpoint": f"{iss}/logout",
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            DEVICE_GRANT_TYPE,
        ],
        "subject_types_supported": list(SUBJECT_TYPES),  # OIDC Core §8: first-party public, third-party pairwise
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "sid",
            "name",
            "party_type",
            "id_number",
            "phone_number",
            "act_for",
            "assurance",
        ],
        "acr_values_supported": ["low", "substantial", "high"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "authorization_response_iss_parameter_supported": False,
        "ui_locales_supported": ["zh-CN", "en"],
    }
