"""Password hashing with argon2id at OWASP parameters, always off the event loop."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified when the number is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = HASHER.hash("dummy password for timing equalisation")


def hash_password(password: str) -> str:
    """Hash ``password`` (blocking, ~20 ms: call from a worker thread)."""
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches (blocking: call from a worker thread)."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_strength(password: str) -> str | None:
    """The broken rule of a weak password, or None when acceptable."""
    if len(password) < 8:
        return "too_short"
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        return "too_simple"
    return None
