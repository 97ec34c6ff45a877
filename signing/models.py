"""Tables of `signing` (imported by onenumber.models so Alembic sees them): the platform PKI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime

KIND_ROOT = "root"
KIND_ISSUING = "issuing"
KIND_TSA = "tsa"
KIND_SEAL = "seal"
KIND_APPROVER = "approver"


class PkiCertificate(Base):
    """A certificate issued by the platform PKI, with a reference to its private key."""

    __tablename__ = "signing_certificate"
    __table_args__ = (Index("ix_signing_certificate_kind_department", "kind", "department_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    serial: Mapped[str] = mapped_column(String(64), unique=True)  # lower-case hex, no separators
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the DER
    subject: Mapped[str] = mapped_column(String(512))
    department_code: Mapped[str | None] = mapped_column(String(18))
    department_name: Mapped[str | None] = mapped_column(String(200))
    person_name: Mapped[str | None] = mapped_column(String(100))
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("signing_certificate.id"))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_backend: Mapped[str] = mapped_column(String(16), default="software")
    key_cipher: Mapped[str | None] = mapped_column(Text)  # encrypted PKCS#8 PEM (software keys)
    key_ref: Mapped[str | None] = mapped_column(String(200))  # key label on the token (PKCS#11)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(32))


class PkiCrl(Base):
    """A certificate revocation list signed by one of the platform CAs (the newest one is served)."""

    __tablename__ = "signing_crl"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("signing_certificate.id"), index=True)
    number: Mapped[int]
    crl_der: Mapped[bytes] = mapped_column(LargeBinary)
    this_update: Mapped[datetime] = mapped_column(UTCDateTime())
    next_update: Mapped[datetime] = mapped_column(UTCDateTime())
