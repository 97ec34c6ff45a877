"""Password hashing with argon2id at OWASP parameters, always off the event loop."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Each hash takes 19 MiB and a core for ~20 ms: running more at once than there are cores only makes
# each one slower. One hash per core per process.
_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def _return_hash_memory_to_the_os() -> None:
    """Keep glibc from caching argon2's 19 MiB buffers in its heaps.

    glibc raises its mmap threshold after the first large block is freed, so from then on every 19 MiB
    buffer comes from (and stays in) a per-thread heap: a worker's peak RSS went from ~155 to 330–370 MiB
    after a few seconds of parallel logins. A fixed threshold (the default 128 KiB, which also turns the
    adjustment off) keeps large blocks mmapped and unmapped on free: ~158 MiB after the same load.
    """
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is not None and os.environ.get("MALLOC_MMAP_THRESHOLD_") is None:
        mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD


_return_hash_memory_to_the_os()
# Verified when the number is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = HASHER.hash("dummy password for timing equalisation")


def hash_password(password: str) -> str:
    """Hash ``password`` (blocking, ~20 ms: call from a worker thread)."""
    with _SLOTS:
        return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches (blocking: call from a worker thread)."""
    try:
        with _SLOTS:
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
