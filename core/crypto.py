"""Encryption at rest (AES-256-GCM) and keyed-hash blind indexes, both derived from the master key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PREFIX = "v1"


class DecryptionError(ValueError):
    """A ciphertext was tampered with or was made under another master key."""


@lru_cache(maxsize=8)
def _derive(master_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"onenumber", info=purpose).derive(
        master_key.encode()
    )


def key_id(master_key: str) -> str:
    """A short public fingerprint of the master key, stored beside each ciphertext."""
    return hashlib.sha256(_derive(master_key, b"key-id")).hexdigest()[:8]


def encrypt(plaintext: bytes, *, master_key: str, context: str) -> str:
    """Encrypt ``plaintext``; ``context`` (e.g. ``"person.number"``) is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(master_key, b"encrypt")).encrypt(nonce, plaintext, context.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{_PREFIX}:{key_id(master_key)}:{body}"


def decrypt(token: str, *, master_key: str, context: str) -> bytes:
    """Decrypt a value made by :func:`encrypt` under the same master key and context."""
    try:
        prefix, kid, body = token.split(":", 2)
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError as exc:
        raise DecryptionError("malformed ciphertext") from exc
    if prefix != _PREFIX or kid != key_id(master_key):
        raise DecryptionError("ciphertext was made under another master key")
    try:
        return AESGCM(_derive(master_key, b"encrypt")).decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError("ciphertext failed its integrity check") from exc


def encrypt_str(value: str, *, master_key: str, context: str) -> str:
    """Encrypt a text value."""
    return encrypt(value.encode(), master_key=master_key, context=context)


def decrypt_str(token: str, *, master_key: str, context: str) -> str:
    """Decrypt a text value."""
    return decrypt(token, master_key=master_key, context=context).decode()


def blind_index(value: str, *, master_key: str, context: str) -> str:
    """Deterministic keyed hash for equality lookup of an encrypted value (HMAC-SHA256, hex)."""
    key = _derive(master_key, b"blind-index:" + context.encode())
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


# The holder kinds (= identifiers.Kind's values; core imports no package of ours, so they are repeated here).
HOLDER_KINDS = ("person", "organization")


class UnknownHolderKind(ValueError):
    """A holder index was asked for a kind that is neither ``person`` nor ``organization``."""


def holder_index(kind: str, number: str, *, master_key: str) -> str:
    """The blind index of a holder (shared by idp and wallet): its kind and its number.

    The kind is part of the key, because one string can be valid both as a resident ID (GB 11643) and as a
    credit code (GB 32100) and then names two holders. The caller passes the kind its context knows (the
    license type's holder kind, the token's party), never one guessed from the string.
    """
    if kind not in HOLDER_KINDS:
        raise UnknownHolderKind(f"holder kind must be one of {HOLDER_KINDS}")
    return blind_index(number.strip().upper(), master_key=master_key, context=f"holder-number:{kind}")


def client_secret(client_id: str, *, master_key: str) -> str:
    """A first-party OIDC client's secret, derived from the master key: the idp registers it and the channel
    presents it, so there is no extra secret to hand out."""
    return blind_index(client_id, master_key=master_key, context=f"idp.client.{client_id}")[:43]
