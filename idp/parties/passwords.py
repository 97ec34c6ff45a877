"""Password hashing with argon2id at OWASP parameters, always off the event loop."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Each hash takes 19 MiB and a core for ~21 ms: running more at once than there are cores only makes each
# one slower, so one thread per core does all the hashing (callers wait for it). Being few and long-lived,
# these threads also keep their 19 MiB buffer in their glibc heap between hashes: a fresh mmap per hash
# (the fixed 128 KiB mmap threshold used before) cost ~4,900 page faults and ~6 ms of kernel time on top of
# each ~21 ms hash, while any thread that hashed (up to the whole request pool) kept a buffer of its own.
_SIZE = max(1, os.cpu_count() or 1)
_HASHING = ThreadPoolExecutor(max_workers=_SIZE, thread_name_prefix="argon2")


def _new_pool_after_fork() -> None:
    # a forked child has none of the parent's threads: a pool that believes it has some never runs a hash
    global _HASHING
    _HASHING = ThreadPoolExecutor(max_workers=_SIZE, thread_name_prefix="argon2")


os.register_at_fork(after_in_child=_new_pool_after_fork)

# Verified when the number is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = HASHER.hash("dummy password for timing equalisation")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    """Hash ``password`` (blocking, ~21 ms on a hashing thread: call from a worker thread)."""
    return _HASHING.submit(HASHER.hash, password).result()


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches (blocking, on a hashing thread: call from a worker thread)."""
    return _HASHING.submit(_verify, password_hash, password).result()


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
