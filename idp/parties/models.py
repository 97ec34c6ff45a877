"""Tables of parties, credentials and login throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime


class Person(Base):
    """A natural person keyed on the resident ID (stored encrypted, looked up by blind index)."""

    __tablename__ = "idp_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(43), unique=True)
    number_cipher: Mapped[str] = mapped_column(Text)
    number_index: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_cipher: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Identity-proofing level (idp/proofing): low = self-asserted, substantial = real-name verified by a
    # proofing provider (name + number + phone by SMS code), high = checked in person or with liveness.
    assurance: Mapped[str] = mapped_column(String(16), default="low")
    proofed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    proofed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Organization(Base):
    """An organisation keyed on its unified social credit code."""

    __tablename__ = "idp_organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_rep_id: Mapped[int | None] = mapped_column(ForeignKey("idp_person.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delegation(Base):
    """A person acting for an organisation as legal representative or authorised agent (委托代办)."""

    __tablename__ = "idp_delegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("idp_organization.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffRole(Base):
    """A staff role of a person: ``counter``, ``admin``, ``clerk``/``approver`` of a department."""

    __tablename__ = "idp_staff_role"
    __table_args__ = (UniqueConstraint("person_id", "role", "department_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    department_code: Mapped[str | None] = mapped_column(String(18), nullable=True)


class LoginThrottle(Base):
    """Failure counter of one account (``account:<index>``) or address (``address:<ip>``)."""

    __tablename__ = "idp_login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResetCode(Base):
    """A one-time password-reset code handed out by counter staff (stored hashed)."""

    __tablename__ = "idp_reset_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProofingCheck(Base):
    """One real-name check (实名认证) of a person at a proofing provider: pending until the SMS code."""

    __tablename__ = "idp_proofing_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("idp_person.id"), index=True)
    provider: Mapped[str] = mapped_column(String(200))
    transaction: Mapped[str] = mapped_column(String(100))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NumberAttempt(Base):
    """One attempt made against a resident ID (``register`` or ``proofing``), counted per number and day."""

    __tablename__ = "idp_number_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_index: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
