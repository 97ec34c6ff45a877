"""Durable Back-Channel Logout (OpenID Connect Back-Channel Logout 1.0 §2.5): an outbox of logout tokens
written with the logout, delivered by any instance with retries for hours, dead letters for operators.

https://openid.net/specs/openid-connect-backchannel-1_0.html
"""

from idp.backchannel.models import DEAD, DELIVERED, PENDING, STATES, LogoutDelivery
from idp.backchannel.settings import BackchannelSettings, get_backchannel_settings

__all__ = [
    "DEAD",
    "DELIVERED",
    "PENDING",
    "STATES",
    "BackchannelSettings",
    "LogoutDelivery",
    "get_backchannel_settings",
]
