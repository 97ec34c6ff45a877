"""Short-lived signed values (login tickets): base64url JSON + HMAC-SHA256 from the master key."""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

from core.crypto import blind_index


def _mac(body: str, *, secret: str, purpose: str) -> str:
    return blind_index(body, master_key=secret, context=f"idp.signed.{purpose}")[:43]


def dumps(payload: dict[str, Any], *, secret: str, purpose: str, ttl: int) -> str:
    """Sign ``payload`` for ``purpose``, valid ``ttl`` seconds."""
    body = base64.urlsafe_b64encode(json.dumps({**payload, "_exp": int(time.time()) + ttl}).encode()).decode()
    return f"{body.rstrip('=')}.{_mac(body.rstrip('='), secret=secret, purpose=purpose)}"


def loads(value: str | None, *, secret: str, purpose: str) -> dict[str, Any] | None:
    """The payload if the signature matches and it has not expired, else None."""
    if not value or "." not in value or not value.isascii():  # compare_digest raises on non-ASCII text
        return None
    body, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(body, secret=secret, purpose=purpose)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict) or int(payload.get("_exp", 0)) < time.time():
        return None
    return payload
