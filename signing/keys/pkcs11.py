"""PKCS#11 keys (HSM): keys are generated on the token and never leave it; pyHanko's PKCS11Signer signs.

Tested against SoftHSM2 (Debian ``softhsm2``). Configure with ``ONENUMBER_PKCS11_MODULE``,
``ONENUMBER_PKCS11_TOKEN_LABEL`` and ``ONENUMBER_PKCS11_USER_PIN``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import Signer

from signing.errors import KeyBackendError
from signing.keys.api import GeneratedKey
from signing.settings import SigningSettings

_lock = threading.Lock()
_backends: dict[tuple[str, str, str], Pkcs11KeyBackend] = {}


class Pkcs11KeyBackend:
    """Seal keys on a PKCS#11 token."""

    name = "pkcs11"

    def __init__(self, *, module: str, token_label: str, user_pin: str) -> None:
        self.module = module
        self.token_label = token_label
        self.user_pin = user_pin
        self._open: pkcs11.Session | None = None

    @classmethod
    def from_settings(cls, settings: SigningSettings | None = None) -> Pkcs11KeyBackend:
        """The backend configured by ``ONENUMBER_PKCS11_*``."""
        settings = settings or SigningSettings()
        if not (settings.pkcs11_module and settings.pkcs11_token_label and settings.pkcs11_user_pin):
            raise KeyBackendError(
                "PKCS#11 is not configured: set ONENUMBER_PKCS11_MODULE, _TOKEN_LABEL and _USER_PIN"
            )
        key = (settings.pkcs11_module, settings.pkcs11_token_label, settings.pkcs11_user_pin)
        with _lock:
            if key not in _backends:
                _backends[key] = cls(module=key[0], token_label=key[1], user_pin=key[2])
            return _backends[key]

    def _session(self) -> pkcs11.Session:
        # One read-write session per backend (key generation needs RW; pyHanko's helper opens RO).
        with _lock:
            if self._open is None:
                try:
                    token = pkcs11.lib(self.module).get_token(token_label=self.token_label)
                    self._open = token.open(rw=True, user_pin=self.user_pin)
                except (pkcs11.PKCS11Error, OSError) as exc:
                    raise KeyBackendError(f"cannot open PKCS#11 token {self.token_label!r}: {exc!r}") from exc
            return self._open

    def generate(self, *, label: str) -> GeneratedKey:
        """Generate a P-256 key pair on the token under a unique label."""
        key_label = f"{label}-{uuid.uuid4().hex[:8]}"
        session = self._session()
        try:
            with _lock:
                params = session.create_domain_parameters(
                    pkcs11.KeyType.EC,
                    {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                    local=True,
                )
                public, _private = params.generate_keypair(store=True, label=key_label)
                spki = encode_ec_public_key(public)
        except pkcs11.PKCS11Error as exc:
            raise KeyBackendError(f"key generation on the token failed: {exc!r}") from exc
        public_key = serialization.load_der_public_key(spki)
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise KeyBackendError("token returned a non-EC public key")
        return GeneratedKey(public_key=public_key, backend=self.name, key_ref=key_label)

    def signer(
        self,
        *,
        key_cipher: str | None,
        key_ref: str | None,
        cert: asn1_x509.Certificate,
        chain: Sequence[asn1_x509.Certificate],
    ) -> Signer:
        """pyHanko's PKCS#11 signer over the key labelled ``key_ref``; the certificate comes from the DB."""
        if not key_ref:
            raise KeyBackendError("PKCS#11 key reference is missing")
        # Hash in software, sign raw ECDSA on the token: SoftHSM2 and many HSMs lack CKM_ECDSA_SHA256.
        return PKCS11Signer(
            self._session(),
            key_label=key_ref,
            signing_cert=cert,
            ca_chain=list(chain),
            other_certs_to_pull=(),
            use_raw_mechanism=True,
        )
