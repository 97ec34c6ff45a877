"""How opaque tokens are stored: only their hash (a leaf: the grants, the endpoints and the server use it)."""

from __future__ import annotations

import hashlib


def token_hash(value: str) -> str:
    """SHA-256 of an opaque token (codes, refresh tokens, device codes are stored only hashed)."""
    return hashlib.sha256(value.encode()).hexdigest()
