"""Service catalog tables: service items (事项), their material requirements, the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, UTCDateTime

REQUIREMENT_KINDS = ("license_type", "document", "form", "commitment")


class ServiceItem(Base):
    """One service item: same item, same standard, same code (一码)."""

    __tablename__ = "wallet_service_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(16))  # personal | business
    department_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # first one leads
    legal_basis: Mapped[list[str]] = mapped_column(JSON, default=list)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    time_limit_days: Mapped[int] = mapped_column(Integer)
    same_day: Mapped[bool] = mapped_column(Boolean, default=False)
    fees: Mapped[str] = mapped_column(String(500), default="不收费")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # online | counter
    address: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    issues_license_type: Mapped[str | None] = mapped_column(String(21), nullable=True)
    needs_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    requirements: Mapped[list[ServiceRequirement]] = relationship(
        back_populates="item",
        order_by="ServiceRequirement.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def lead_department(self) -> str:
        """Credit code of the department that leads the item (first responsible department)."""
        return self.department_codes[0]

    @property
    def active_requirements(self) -> list[ServiceRequirement]:
        """Requirements still asked for (dropped ones stay for the record)."""
        return [r for r in self.requirements if r.dropped_at is None]


class ServiceRequirement(Base):
    """One material requirement of an item: a license, a document, a form or a commitment (告知承诺)."""

    __tablename__ = "wallet_service_requirement"
    __table_args__ = (UniqueConstraint("item_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("wallet_service_item.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    license_type_code: Mapped[str | None] = mapped_column(String(21), nullable=True)
    doc_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    reuse: Mapped[str | None] = mapped_column(String(16), nullable=True)  # documents: reuse class
    valid_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # documents reused while_valid
    accepted_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    commitment_text: Mapped[str] = mapped_column(Text, default="")
    liability: Mapped[str] = mapped_column(Text, default="")
    replaces_proof: Mapped[str | None] = mapped_column(String(200), nullable=True)
    post_check: Mapped[str] = mapped_column(Text, default="")
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dropped_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    item: Mapped[ServiceItem] = relationship(back_populates="requirements")


class CalendarDay(Base):
    """An exception to the Monday–Friday week: a weekday holiday or a weekend working day (调休)."""

    __tablename__ = "wallet_calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(100), default="")
