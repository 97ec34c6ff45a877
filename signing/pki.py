"""The platform PKI: root CA → issuing CA → {department seals, approvers, timestamp authority}, and CRLs.

Rows are added to the caller's session and flushed, never committed: the caller owns the transaction.
Parsed certificates and decrypted keys are cached in-process by certificate fingerprint (signing/certutil.py,
whose helpers this module re-exports: ``asn1_cert``, ``crypto_cert``, ``software_key``, ``base_url``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from identifiers import uscc
from signing import certificates
from signing import crl as crl_service
from signing.certutil import asn1_cert, crypto_cert, software_key
from signing.errors import InvalidParameter, UnknownCertificate
from signing.keys import GeneratedKey, KeyBackend, backend_for
from signing.keys.software import SoftwareKeyBackend, load_key
from signing.models import KIND_APPROVER, KIND_ISSUING, KIND_ROOT, KIND_SEAL, KIND_TSA, PkiCertificate

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # RFC 9336
ROOT_NAME = "OneNumber Platform Root CA"
ISSUING_NAME = "OneNumber Seal Issuing CA"
TSA_NAME = "OneNumber Timestamp Authority"
PLATFORM_ORG = "OneNumber"
SEAL_VALIDITY = timedelta(days=730)
CLOCK_SKEW = timedelta(minutes=5)
PKI_LOCK = 0x6F6E_706B_69  # pg_advisory_xact_lock key of first-use certificate creation ("onpki")


@dataclass(frozen=True)
class Pki:
    """The three platform authorities (rows of ``signing_certificate``)."""

    root: PkiCertificate
    issuing: PkiCertificate
    tsa: PkiCertificate


def _store(
    session: Session,
    *,
    kind: str,
    cert: x509.Certificate,
    key: GeneratedKey,
    issuer: PkiCertificate | None,
    department_code: str | None = None,
    department_name: str | None = None,
    person_name: str | None = None,
) -> PkiCertificate:
    der = cert.public_bytes(serialization.Encoding.DER)
    row = PkiCertificate(
        kind=kind,
        serial=format(cert.serial_number, "x"),
        fingerprint=hashlib.sha256(der).hexdigest(),
        subject=cert.subject.rfc4514_string(),
        department_code=department_code,
        department_name=department_name,
        person_name=person_name,
        issuer_id=issuer.id if issuer else None,
        cert_der=der,
        key_backend=key.backend,
        key_cipher=key.key_cipher,
        key_ref=key.key_ref,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )
    session.add(row)
    session.flush()
    return row


def _authority(session: Session, kind: str) -> PkiCertificate | None:
    stmt = (
        select(PkiCertificate)
        .where(PkiCertificate.kind == kind, PkiCertificate.revoked_at.is_(None))
        .order_by(PkiCertificate.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _creating(session: Session) -> None:
    """Before a certificate is created on first use: one process at a time on PostgreSQL (a transaction
    advisory lock, held until the caller commits), so that instances starting together on an empty database
    make one root, one issuing CA, one TSA and one seal per department, not one each. On SQLite a write that
    changes nothing takes the one writer's lock now, before the second look (a transaction whose first look is
    older than another's commit then fails, "database is locked", instead of making a second root)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PKI_LOCK})
    elif dialect == "sqlite":
        session.execute(text("UPDATE signing_certificate SET id = id WHERE 0 = 1"))


def _complete(session: Session) -> bool:
    return all(_authority(session, kind) is not None for kind in (KIND_ROOT, KIND_ISSUING, KIND_TSA))


def ensure_pki(*, session: Session, settings: Settings) -> Pki:
    """Return the platform authorities, creating (and flushing) whichever is missing."""
    now = utcnow()
    software = SoftwareKeyBackend(master_key=settings.secret_key)
    if not _complete(session):
        _creating(session)  # then look again: another process may have made them while this one waited
    root = _authority(session, KIND_ROOT)
    if root is None:
        key = software.generate(label="root")
        subject = certificates.name(
            (NameOID.COUNTRY_NAME, "CN"),
            (NameOID.ORGANIZATION_NAME, PLATFORM_ORG),
            (NameOID.COMMON_NAME, ROOT_NAME),
        )
        private = load_key(key.key_cipher or "", master_key=settings.secret_key)
        cert = certificates.build(
            subject=subject,
            public_key=key.public_key,
            issuer_cert=None,
            issuer_key=private,
            not_before=now - CLOCK_SKEW,
            not_after=now + timedelta(days=365 * 20),
            ca_path_length=1,
            key_usage={"key_cert_sign": True, "crl_sign": True},
        )
        root = _store(session, kind=KIND_ROOT, cert=cert, key=key, issuer=None)
        crl_service.regenerate(session=session, settings=settings, issuer=root)
    issuing = _authority(session, KIND_ISSUING)
    if issuing is None:
        key = software.generate(label="issuing")
        subject = certificates.name(
            (NameOID.COUNTRY_NAME, "CN"),
            (NameOID.ORGANIZATION_NAME, PLATFORM_ORG),
            (NameOID.COMMON_NAME, ISSUING_NAME),
        )
        cert = certificates.build(
            subject=subject,
            public_key=key.public_key,
            issuer_cert=crypto_cert(root),
            aia_url=f"{settings.issuer.rstrip('/')}/pki/root.der",
            issuer_key=software_key(root, master_key=settings.secret_key),
            not_before=now - CLOCK_SKEW,
            not_after=now + timedelta(days=365 * 10),
            ca_path_length=0,
            key_usage={"key_cert_sign": True, "crl_sign": True},
            crl_url=f"{settings.issuer.rstrip('/')}/pki/root-crl.der",
        )
        issuing = _store(session, kind=KIND_ISSUING, cert=cert, key=key, issuer=root)
        crl_service.regenerate(session=session, settings=settings, issuer=issuing)
    tsa = _authority(session, KIND_TSA)
    if tsa is None:
        key = software.generate(label="tsa")
        subject = certificates.name(
            (NameOID.COUNTRY_NAME, "CN"),
            (NameOID.ORGANIZATION_NAME, PLATFORM_ORG),
            (NameOID.COMMON_NAME, TSA_NAME),
        )
        cert = certificates.build(
            subject=subject,
            public_key=key.public_key,
            issuer_cert=crypto_cert(issuing),
            aia_url=f"{settings.issuer.rstrip('/')}/pki/ca.der",
            issuer_key=software_key(issuing, master_key=settings.secret_key),
            not_before=now - CLOCK_SKEW,
            not_after=now + timedelta(days=365 * 8),
            ca_path_length=None,
            key_usage={"digital_signature": True, "content_commitment": True},
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            crl_url=f"{settings.issuer.rstrip('/')}/pki/crl.der",
        )
        tsa = _store(session, kind=KIND_TSA, cert=cert, key=key, issuer=issuing)
    return Pki(root=root, issuing=issuing, tsa=tsa)


def _end_entity(
    session: Session,
    *,
    settings: Settings,
    kind: str,
    subject: x509.Name,
    department_code: str,
    department_name: str,
    person_name: str | None,
    backend: KeyBackend | None,
    not_before: datetime | None,
    not_after: datetime | None,
) -> PkiCertificate:
    pki = ensure_pki(session=session, settings=settings)
    backend = backend or SoftwareKeyBackend(master_key=settings.secret_key)
    key = backend.generate(label=f"{kind}-{department_code}")
    now = utcnow()
    cert = certificates.build(
        subject=subject,
        public_key=key.public_key,
        issuer_cert=crypto_cert(pki.issuing),
        aia_url=f"{settings.issuer.rstrip('/')}/pki/ca.der",
        issuer_key=software_key(pki.issuing, master_key=settings.secret_key),
        not_before=not_before or now - CLOCK_SKEW,
        not_after=not_after or now + SEAL_VALIDITY,
        ca_path_length=None,
        key_usage={"digital_signature": True, "content_commitment": True},
        eku=[DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION],
        crl_url=f"{settings.issuer.rstrip('/')}/pki/crl.der",
    )
    return _store(
        session,
        kind=kind,
        cert=cert,
        key=key,
        issuer=pki.issuing,
        department_code=department_code,
        department_name=department_name,
        person_name=person_name,
    )


def _check_department(name: str, code: str) -> tuple[str, str]:
    name, code = name.strip(), code.strip().upper()
    if not name or len(name) > 100:
        raise InvalidParameter("department name must be 1–100 characters", field="department_name")
    if not uscc.is_valid(code):
        raise InvalidParameter(f"{code!r} is not a valid unified social credit code", field="department_code")
    return name, code


def issue_seal(
    *,
    session: Session,
    settings: Settings,
    department_name: str,
    department_code: str,
    backend: KeyBackend | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> PkiCertificate:
    """Issue a department seal certificate (CN/O = department, organizationIdentifier = NTRCN-code)."""
    name, code = _check_department(department_name, department_code)
    subject = certificates.name(
        (NameOID.COUNTRY_NAME, "CN"),
        (NameOID.ORGANIZATION_NAME, name),
        (NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{code}"),
        (NameOID.COMMON_NAME, name),
    )
    return _end_entity(
        session,
        settings=settings,
        kind=KIND_SEAL,
        subject=subject,
        department_code=code,
        department_name=name,
        person_name=None,
        backend=backend,
        not_before=not_before,
        not_after=not_after,
    )


def issue_approver(
    *, session: Session, settings: Settings, person_name: str, department_name: str, department_code: str
) -> PkiCertificate:
    """Issue a personal certificate for an approver acting for a department."""
    name, code = _check_department(department_name, department_code)
    person = person_name.strip()
    if not person or len(person) > 100:
        raise InvalidParameter("approver name must be 1–100 characters", field="approver_name")
    subject = certificates.name(
        (NameOID.COUNTRY_NAME, "CN"),
        (NameOID.ORGANIZATION_NAME, name),
        (NameOID.TITLE, "审批人"),
        (NameOID.COMMON_NAME, person),
    )
    return _end_entity(
        session,
        settings=settings,
        kind=KIND_APPROVER,
        subject=subject,
        department_code=code,
        department_name=name,
        person_name=person,
        backend=None,
        not_before=None,
        not_after=None,
    )


def _usable(session: Session, kind: str, code: str, person: str | None) -> PkiCertificate | None:
    soon = utcnow() + timedelta(minutes=10)
    stmt = select(PkiCertificate).where(
        PkiCertificate.kind == kind,
        PkiCertificate.department_code == code,
        PkiCertificate.revoked_at.is_(None),
        PkiCertificate.not_after > soon,
    )
    if person is not None:
        stmt = stmt.where(PkiCertificate.person_name == person)
    return session.scalars(stmt.order_by(PkiCertificate.id.desc()).limit(1)).first()


def current_seal(*, session: Session, settings: Settings, department_name: str, department_code: str) -> PkiCertificate:
    """The department's usable seal certificate, issued on first use (or after revocation/expiry)."""
    name, code = _check_department(department_name, department_code)
    row = _usable(session, KIND_SEAL, code, None)
    if row is not None and row.department_name == name:
        return row
    _creating(session)
    row = _usable(session, KIND_SEAL, code, None)
    if row is not None and row.department_name == name:
        return row
    return issue_seal(session=session, settings=settings, department_name=name, department_code=code)


def current_approver(
    *, session: Session, settings: Settings, person_name: str, department_name: str, department_code: str
) -> PkiCertificate:
    """The approver's usable certificate for this department, issued on first use."""
    name, code = _check_department(department_name, department_code)
    row = _usable(session, KIND_APPROVER, code, person_name.strip())
    if row is not None and row.department_name == name:
        return row
    _creating(session)
    row = _usable(session, KIND_APPROVER, code, person_name.strip())
    if row is not None and row.department_name == name:
        return row
    return issue_approver(
        session=session, settings=settings, person_name=person_name, department_name=name, department_code=code
    )


def get_by_serial(*, session: Session, serial: str) -> PkiCertificate | None:
    """The certificate with this serial (hex, colons and case ignored), or None."""
    norm = serial.strip().lower().replace(":", "").removeprefix("0x").lstrip("0") or "0"
    return session.scalars(select(PkiCertificate).where(PkiCertificate.serial == norm)).first()


def get_by_fingerprint(*, session: Session, der: bytes) -> PkiCertificate | None:
    """The platform certificate with exactly this DER encoding, or None."""
    fingerprint = hashlib.sha256(der).hexdigest()
    return session.scalars(select(PkiCertificate).where(PkiCertificate.fingerprint == fingerprint)).first()


def chain(*, session: Session, row: PkiCertificate) -> list[PkiCertificate]:
    """The issuers of ``row``, nearest first, up to and including the root."""
    out: list[PkiCertificate] = []
    current = row
    while current.issuer_id is not None:
        parent = session.get(PkiCertificate, current.issuer_id)
        if parent is None:
            break
        out.append(parent)
        current = parent
    return out


def revoke(
    *, session: Session, settings: Settings, serial: str, reason: str = "unspecified", revoked_at: datetime | None = None
) -> PkiCertificate:
    """Revoke a certificate and publish a new CRL of its issuer. ``revoked_at`` may be backdated
    (e.g. to the moment of a key compromise)."""
    row = get_by_serial(session=session, serial=serial)
    if row is None:
        raise UnknownCertificate(f"no certificate with serial {serial}", field="serial")
    if row.issuer_id is None:
        raise InvalidParameter("the root certificate cannot be revoked; replace it instead", field="serial")
    if reason not in crl_service.REASONS:
        raise InvalidParameter(f"unknown revocation reason {reason!r}", field="reason")
    if row.revoked_at is None:
        row.revoked_at = revoked_at or utcnow()
        row.revocation_reason = reason
        session.flush()
    issuer = session.get(PkiCertificate, row.issuer_id)
    assert issuer is not None
    crl_service.regenerate(session=session, settings=settings, issuer=issuer)
    return row


def current_crls(*, session: Session, settings: Settings) -> list[bytes]:
    """DER of the current CRL of every platform CA (root and issuing)."""
    pki = ensure_pki(session=session, settings=settings)
    return [bytes(crl_service.current(session=session, settings=settings, issuer=ca).crl_der) for ca in (pki.root, pki.issuing)]


def root_pem(*, session: Session, settings: Settings) -> str:
    """The platform root certificate, PEM."""
    root = ensure_pki(session=session, settings=settings).root
    return crypto_cert(root).public_bytes(serialization.Encoding.PEM).decode()


def signer_for(*, session: Session, settings: Settings, row: PkiCertificate):  # type: ignore[no-untyped-def]
    """A pyHanko signer for a seal/approver certificate, with its chain registered."""
    backend = backend_for(row.key_backend, master_key=settings.secret_key)
    return backend.signer(
        key_cipher=row.key_cipher,
        key_ref=row.key_ref,
        cert=asn1_cert(row),
        chain=[asn1_cert(c) for c in chain(session=session, row=row)],
    )
