"""Catalog tables: departments (颁证单位) and license types (证照目录)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, UTCDateTime


class Department(Base):
    """A government department: issues licenses under its credit code and seal."""

    __tablename__ = "wallet_department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    seal_purpose: Mapped[str] = mapped_column(String(50), default="行政审批专用章")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LicenseType(Base):
    """A kind of e-license: who issues it, to whom, with which fields, for how long, how it is reused."""

    __tablename__ = "wallet_license_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    issuer_id: Mapped[int] = mapped_column(ForeignKey("wallet_department.id"), index=True)
    holder_kind: Mapped[str] = mapped_column(String(16))
    field_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    validity: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reuse_class: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    issuer: Mapped[Department] = relationship(lazy="joined")

    @property
    def holder_code_type(self) -> str:
        """GB/T 36903 holder code type: ``111`` resident ID for persons, ``001`` credit code otherwise."""
        return "111" if self.holder_kind == "person" else "001"
