"""The key backend protocol (after pyHanko's pluggable ``sign/timestamps/api.py``); the backends implement
it and import only this module, the factory :func:`signing.keys.backend_for` picks one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.signers import Signer


@dataclass(frozen=True)
class GeneratedKey:
    """A fresh key pair: its public half, and how to find the private half again."""

    public_key: ec.EllipticCurvePublicKey
    backend: str
    key_cipher: str | None = None  # software: encrypted PKCS#8 PEM
    key_ref: str | None = None  # PKCS#11: key label on the token


class KeyBackend(Protocol):
    """Creates key pairs and turns a stored key reference into a pyHanko ``Signer``."""

    name: str

    def generate(self, *, label: str) -> GeneratedKey:
        """Create a new ECDSA P-256 key pair."""
        ...

    def signer(
        self,
        *,
        key_cipher: str | None,
        key_ref: str | None,
        cert: asn1_x509.Certificate,
        chain: Sequence[asn1_x509.Certificate],
    ) -> Signer:
        """A pyHanko signer using the private key behind ``key_cipher`` / ``key_ref``."""
        ...

