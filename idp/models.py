"""Tables of `idp` (imported by onenumber.models so Alembic sees them)."""

from idp.backchannel.models import LogoutDelivery
from idp.keys.models import SigningKey
from idp.oauth.models import (
    AccessToken,
    AuthorizationCode,
    Client,
    Consent,
    DeviceCode,
    RefreshToken,
    SessionClient,
    SsoSession,
)
from idp.parties.models import Delegation, LoginThrottle, Organization, Person, ResetCode, StaffRole

__all__ = [
    "AccessToken",
    "AuthorizationCode",
    "Client",
    "Consent",
    "Delegation",
    "DeviceCode",
    "LoginThrottle",
    "LogoutDelivery",
    "Organization",
    "Person",
    "RefreshToken",
    "ResetCode",
    "SessionClient",
    "SigningKey",
    "SsoSession",
    "StaffRole",
]
