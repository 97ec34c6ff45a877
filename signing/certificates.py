"""X.509 certificate building for the platform PKI (pure: no database, no keys stored)."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID


def name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    """An X.509 name from (OID, value) pairs, in order."""
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def build(
    *,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_cert: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    not_after: datetime,
    ca_path_length: int | None,
    key_usage: dict[str, bool],
    eku: list[x509.ObjectIdentifier] | None = None,
    crl_url: str | None = None,
    aia_url: str | None = None,
) -> x509.Certificate:
    """Build and sign a certificate (CA when ``ca_path_length`` is not None)."""
    is_ca = ca_path_length is not None
    usage = dict.fromkeys(
        [
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ],
        False,
    )
    usage.update(key_usage)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_length), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    if eku:
        # timeStamping must be the only, critical EKU of a TSA (RFC 3161 §2.3)
        critical = eku == [x509.ExtendedKeyUsageOID.TIME_STAMPING]
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=critical)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if aia_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia_url)
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())
