"""Known-device cookies: a signed value bound to one account, so its owner is not slowed by strangers.

OWASP "Slow Down Online Guessing Attacks with Device Cookies":
https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies

After a successful login the browser gets ``{sub, device nonce}`` signed with the master key (like the login
tickets of ``idp/signed.py``). A later attempt on the same account presenting it is throttled on its own
``device:<hash of the nonce>`` key instead of the account's key, which strangers fill.
"""

from __future__ import annotations

import hashlib
import secrets

from core.settings import Settings
from idp import signed

COOKIE_NAME = "idp_device"
TTL = 180 * 24 * 3600
_PURPOSE = "device"


def _payload(value: str | None, *, settings: Settings) -> dict[str, str] | None:
    payload = signed.loads(value, secret=settings.secret_key, purpose=_PURPOSE)
    if payload is None or not isinstance(payload.get("sub"), str) or not isinstance(payload.get("dev"), str):
        return None
    return {"sub": payload["sub"], "dev": payload["dev"]}


def issue(*, settings: Settings, sub: str, previous: str | None = None) -> str:
    """A device cookie value for account ``sub`` (keeping the nonce of a valid earlier cookie of ``sub``)."""
    earlier = _payload(previous, settings=settings)
    dev = earlier["dev"] if earlier and earlier["sub"] == sub else secrets.token_urlsafe(16)
    return signed.dumps({"sub": sub, "dev": dev}, secret=settings.secret_key, purpose=_PURPOSE, ttl=TTL)


def throttle_key(value: str | None, *, settings: Settings, sub: str) -> str | None:
    """The throttle key of this cookie when it is valid and bound to ``sub``, else None."""
    payload = _payload(value, settings=settings)
    if payload is None or payload["sub"] != sub:
        return None
    return "device:" + hashlib.sha256(payload["dev"].encode()).hexdigest()[:32]
