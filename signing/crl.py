"""Certificate revocation lists of the platform CAs: regenerated on every revocation and when stale
(the current CRLs of all platform CAs together: :func:`signing.pki.current_crls`)."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from signing.certutil import crypto_cert, software_key
from signing.models import PkiCertificate, PkiCrl

CRL_LIFETIME = timedelta(days=7)
REFRESH_AFTER = timedelta(days=1)
REASONS = {
    "unspecified": None,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
}


def regenerate(*, session: Session, settings: Settings, issuer: PkiCertificate) -> PkiCrl:
    """Sign and store a new CRL listing every revoked certificate of ``issuer``."""
    now = utcnow()
    number = (session.scalar(select(func.max(PkiCrl.number)).where(PkiCrl.issuer_id == issuer.id)) or 0) + 1
    key = software_key(issuer, master_key=settings.secret_key)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(crypto_cert(issuer).subject)
        .last_update(now - timedelta(seconds=1))
        .next_update(now + CRL_LIFETIME)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
    )
    revoked = session.scalars(
        select(PkiCertificate).where(
            PkiCertificate.issuer_id == issuer.id, PkiCertificate.revoked_at.is_not(None)
        )
    )
    for row in revoked:
        assert row.revoked_at is not None
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(row.serial, 16))
            .revocation_date(row.revoked_at)
        )
        flag = REASONS.get(row.revocation_reason or "unspecified")
        if flag is not None:
            entry = entry.add_extension(x509.CRLReason(flag), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(key, hashes.SHA256())
    row_crl = PkiCrl(
        issuer_id=issuer.id,
        number=number,
        crl_der=crl.public_bytes(serialization.Encoding.DER),
        this_update=now - timedelta(seconds=1),
        next_update=now + CRL_LIFETIME,
    )
    session.add(row_crl)
    session.flush()
    return row_crl


def current(*, session: Session, settings: Settings, issuer: PkiCertificate) -> PkiCrl:
    """The newest CRL of ``issuer``; a new one is signed when the newest is older than a day."""
    row = session.scalars(
        select(PkiCrl).where(PkiCrl.issuer_id == issuer.id).order_by(PkiCrl.number.desc()).limit(1)
    ).first()
    if row is None or utcnow() - row.this_update > REFRESH_AFTER:
        row = regenerate(session=session, settings=settings, issuer=issuer)
    return row

