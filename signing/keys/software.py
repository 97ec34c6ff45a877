"""Software keys: ECDSA P-256, stored as PKCS#8 PEM encrypted with the platform master key."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from core.crypto import DecryptionError, decrypt_str, encrypt_str
from signing.errors import KeyBackendError
from signing.keys.api import GeneratedKey

KEY_CONTEXT = "signing.key"


def encrypt_key(key: ec.EllipticCurvePrivateKey, *, master_key: str) -> str:
    """Encrypt a private key for storage (PKCS#8 PEM under the master key)."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return encrypt_str(pem, master_key=master_key, context=KEY_CONTEXT)


@lru_cache(maxsize=256)
def _decrypt(key_cipher: str, master_key: str) -> ec.EllipticCurvePrivateKey:
    try:
        pem = decrypt_str(key_cipher, master_key=master_key, context=KEY_CONTEXT)
    except DecryptionError as exc:
        raise KeyBackendError(f"cannot decrypt a signing key: {exc}") from exc
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyBackendError("stored signing key is not an EC key")
    return key


def load_key(key_cipher: str, *, master_key: str) -> ec.EllipticCurvePrivateKey:
    """Decrypt a stored key with the platform master key (cached in-process: the ciphertext is unique per
    key)."""
    return _decrypt(key_cipher, master_key)


class CachedKeySigner(Signer):
    """A pyHanko signer holding an already parsed EC key (SimpleSigner re-parses it on every use)."""

    def __init__(
        self,
        *,
        key: ec.EllipticCurvePrivateKey,
        cert: asn1_x509.Certificate,
        chain: Sequence[asn1_x509.Certificate],
    ) -> None:
        self._key = key
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs(list(chain)),
            embed_roots=True,
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self._key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))


class SoftwareKeyBackend:
    """Keys generated in-process and kept encrypted in the database."""

    name = "software"

    def __init__(self, *, master_key: str) -> None:
        self._master_key = master_key

    def generate(self, *, label: str) -> GeneratedKey:
        """Create a P-256 key pair; the private half is returned encrypted."""
        key = ec.generate_private_key(ec.SECP256R1())
        cipher = encrypt_key(key, master_key=self._master_key)
        return GeneratedKey(public_key=key.public_key(), backend=self.name, key_cipher=cipher)

    def signer(
        self,
        *,
        key_cipher: str | None,
        key_ref: str | None,
        cert: asn1_x509.Certificate,
        chain: Sequence[asn1_x509.Certificate],
    ) -> Signer:
        """A signer over the decrypted (cached) key."""
        if not key_cipher:
            raise KeyBackendError("software key is missing its ciphertext")
        return CachedKeySigner(key=load_key(key_cipher, master_key=self._master_key), cert=cert, chain=chain)
