"""What the PKI (signing/pki.py) and the CRLs (signing/crl.py) both need of a stored certificate: its
parsed forms and the private key of a platform authority.

Nothing here touches the database beyond the row it is given.
"""

from __future__ import annotations

from functools import lru_cache

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from signing.errors import InvalidParameter
from signing.keys.software import load_key
from signing.models import PkiCertificate

__all__ = ["asn1_cert", "crypto_cert", "software_key"]


@lru_cache(maxsize=1024)
def _parse(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)


def asn1_cert(row: PkiCertificate) -> asn1_x509.Certificate:
    """The certificate as an asn1crypto object (what pyHanko wants); cached."""
    return _parse(bytes(row.cert_der))


def crypto_cert(row: PkiCertificate) -> x509.Certificate:
    """The certificate as a ``cryptography`` object."""
    return x509.load_der_x509_certificate(bytes(row.cert_der))


def software_key(row: PkiCertificate, *, master_key: str) -> ec.EllipticCurvePrivateKey:
    """The private key of a platform authority (CA or TSA: always a software key)."""
    if row.key_backend != "software" or not row.key_cipher:
        raise InvalidParameter(f"certificate {row.serial} has no software key")
    return load_key(row.key_cipher, master_key=master_key)
