"""License tables: licenses and their history, serial counters, use grants, the access log, wallet keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, UTCDateTime
from wallet.catalog.models import Department, LicenseType

# Stored statuses; "expired" and "not_yet_valid" are derived from the dates (see service.effective_status).
STORED_STATUSES = ("valid", "suspended", "revoked", "cancelled", "superseded")


class License(Base):
    """One version of an e-license (电子证照) held by a number; the sealed PDF lives in the blob store."""

    __tablename__ = "wallet_license"
    __table_args__ = (
        UniqueConstraint("type_id", "issuer_id", "serial", "version"),
        UniqueConstraint("issuer_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(80), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("wallet_license_type.id"), index=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("wallet_department.id"), index=True)
    serial: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("wallet_license.id"), nullable=True, index=True
    )
    holder_kind: Mapped[str] = mapped_column(String(16))
    holder_index: Mapped[str] = mapped_column(String(64), index=True)
    holder_number_cipher: Mapped[str] = mapped_column(Text)
    holder_number_masked: Mapped[str] = mapped_column(String(32))
    holder_name: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="valid")
    status_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(200))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pdf_blob_key: Mapped[str] = mapped_column(String(200), index=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)

    license_type: Mapped[LicenseType] = relationship(lazy="joined")
    issuer: Mapped[Department] = relationship(lazy="joined")


class LicenseSerial(Base):
    """Next serial number per (license type, issuer) never handed out before."""

    __tablename__ = "wallet_license_serial"

    type_id: Mapped[int] = mapped_column(ForeignKey("wallet_license_type.id"), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("wallet_department.id"), primary_key=True)
    next_serial: Mapped[int] = mapped_column(Integer, default=1)


class SerialReservation(Base):
    """A serial taken for an issuance not yet committed.

    The issuance's own transaction deletes it together with inserting the license; a failed issuance
    releases it (``released``) and one killed halfway leaves it to go stale. Either way the next issuance
    of the type takes it again, so a serial is consumed only by a committed license (no gaps).
    """

    __tablename__ = "wallet_serial_reservation"
    __table_args__ = (UniqueConstraint("type_id", "issuer_id", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("wallet_license_type.id"))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("wallet_department.id"))
    serial: Mapped[str] = mapped_column(String(32))
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    released: Mapped[bool] = mapped_column(Boolean, default=False)


class LicenseEvent(Base):
    """One entry of a license's history: issued, suspended, reinstated, revoked, cancelled, superseded."""

    __tablename__ = "wallet_license_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("wallet_license.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class UseGrant(Base):
    """用证授权: a holder lets a department or client read one license, or all of one type, for a purpose."""

    __tablename__ = "wallet_use_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_index: Mapped[str] = mapped_column(String(64), index=True)
    granted_by: Mapped[str] = mapped_column(String(200))
    grantee_kind: Mapped[str] = mapped_column(String(16))  # department | client
    grantee: Mapped[str] = mapped_column(String(100), index=True)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_license.id"), nullable=True, index=True)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_license_type.id"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(500))
    fields: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    license: Mapped[License | None] = relationship(lazy="joined")
    license_type: Mapped[LicenseType | None] = relationship(lazy="joined")


class AccessLog(Base):
    """Who read or verified which license, for what purpose, through which channel, when."""

    __tablename__ = "wallet_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("wallet_license.id"), index=True)
    holder_index: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    accessor: Mapped[str] = mapped_column(String(200))
    accessor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_use_grant.id"), nullable=True)

    license: Mapped[License] = relationship(lazy="joined")


class WalletKey(Base):
    """ES256 key that signs presentation tokens and SD-JWT VCs; private part encrypted at rest."""

    __tablename__ = "wallet_signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(16), default="ES256")
    private_key_cipher: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
