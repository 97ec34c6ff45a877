"""Application tables: applications, their materials, routing tasks, reviews, results, feedback, bookings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, UTCDateTime
from wallet.services.models import ServiceItem

# Application statuses: submitted (waiting for acceptance) → in_review ⇄ supplement → approved | rejected.
OPEN_STATUSES = ("submitted", "in_review", "supplement")


class Document(Base):
    """A document uploaded once by (or at the counter for) a holder, reusable by its doc_type."""

    __tablename__ = "wallet_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_index: Mapped[str] = mapped_column(String(64), index=True)
    doc_type: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String(64))
    trust: Mapped[str] = mapped_column(String(1))  # B checked at a window, C uploaded by the holder
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    reusable: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ix_wallet_document_holder_type", "holder_index", "doc_type"),)


class Application(Base):
    """One application (办件) for a service item, by a person for themselves or for an organisation."""

    __tablename__ = "wallet_application"
    __table_args__ = (UniqueConstraint("submitter_sub", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    query_code_cipher: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int] = mapped_column(ForeignKey("wallet_service_item.id"), index=True)
    item_version: Mapped[int] = mapped_column(Integer)
    applicant_index: Mapped[str] = mapped_column(String(64), index=True)
    applicant_kind: Mapped[str] = mapped_column(String(16))  # person | organization
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_number_cipher: Mapped[str | None] = mapped_column(Text, nullable=True)
    applicant_number_masked: Mapped[str] = mapped_column(String(32), default="")
    submitter_sub: Mapped[str] = mapped_column(String(200), index=True)
    submitter_index: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    acting_role: Mapped[str] = mapped_column(
        String(32), default="self"
    )  # self | legal_representative | agent
    channel: Mapped[str] = mapped_column(String(16))  # online | counter
    centre_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    green_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    form_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    working_days_used: Mapped[int | None] = mapped_column(Integer, nullable=True)
    counter_visit: Mapped[bool] = mapped_column(Boolean, default=False)

    item: Mapped[ServiceItem] = relationship(lazy="joined")
    materials: Mapped[list[ApplicationMaterial]] = relationship(
        back_populates="application", order_by="ApplicationMaterial.id", lazy="selectin"
    )
    tasks: Mapped[list[ApplicationTask]] = relationship(
        back_populates="application", order_by="ApplicationTask.id", lazy="selectin"
    )

    @property
    def is_open(self) -> bool:
        """True until the application is concluded."""
        return self.status in OPEN_STATUSES


class ApplicationMaterial(Base):
    """How one requirement was fulfilled in one application: a license, a document, a form or a commitment."""

    __tablename__ = "wallet_application_material"
    __table_args__ = (UniqueConstraint("application_id", "requirement_key", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("wallet_application.id"), index=True)
    requirement_key: Mapped[str] = mapped_column(String(40))
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0 at submission, 1 for a supplement
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(
        String(16)
    )  # wallet | reused | uploaded | counter | form | commitment
    trust: Mapped[str] = mapped_column(String(1))
    reused: Mapped[bool] = mapped_column(Boolean, default=False)
    license_identifier: Mapped[str | None] = mapped_column(String(80), nullable=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_document.id"), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(back_populates="materials")


class ApplicationTask(Base):
    """The share of an application one department reviews (内部流转)."""

    __tablename__ = "wallet_application_task"
    __table_args__ = (
        UniqueConstraint("application_id", "department_code"),
        # The department queue: open tasks, green channel first, nearest deadline first.
        Index("ix_wallet_application_task_queue", "department_code", "open", "priority", "deadline", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("wallet_application.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|reviewed|supplement|approved|rejected
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)  # 0 = green channel, 1 = everyone else
    deadline: Mapped[date] = mapped_column(Date)
    supplement_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    routed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    application: Mapped[Application] = relationship(back_populates="tasks", lazy="joined")


class Review(Base):
    """One decision of a clerk or approver on a task."""

    __tablename__ = "wallet_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("wallet_application_task.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(60))
    decision: Mapped[str] = mapped_column(String(16))  # review | approve | reject | supplement
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicationEvent(Base):
    """A step of an application's timeline (shown to the applicant; no personal data)."""

    __tablename__ = "wallet_application_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("wallet_application.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(60))
    department_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Result(Base):
    """The delivered result (一口出件): a sealed approval or refusal PDF, and the license issued."""

    __tablename__ = "wallet_application_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("wallet_application.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))  # approved | rejected
    pdf_blob_key: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(Integer)
    license_identifier: Mapped[str | None] = mapped_column(String(80), nullable=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SerialCounter(Base):
    """Next sequence number of serials per day and department (流水号)."""

    __tablename__ = "wallet_application_serial"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Rating(Base):
    """好差评: one rating per application, 1–5 with a comment."""

    __tablename__ = "wallet_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("wallet_application.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Complaint(Base):
    """A complaint about an application or an item; may name one requirement as an unnecessary proof."""

    __tablename__ = "wallet_complaint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # service | unnecessary_proof | rating_follow_up
    item_id: Mapped[int] = mapped_column(ForeignKey("wallet_service_item.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_application.id"), nullable=True)
    requirement_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    complainant_index: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    filed_by: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | in_progress | upheld | dismissed
    resolution: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)  # drop | commitment
    handled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    item: Mapped[ServiceItem] = relationship(lazy="joined")


class ServiceCentre(Base):
    """A service centre (政务服务中心) with counters; any centre accepts any item (同城通办)."""

    __tablename__ = "wallet_service_centre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")


class AppointmentSlot(Base):
    """A time slot at a centre with a number of places."""

    __tablename__ = "wallet_appointment_slot"
    __table_args__ = (UniqueConstraint("centre_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("wallet_service_centre.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    centre: Mapped[ServiceCentre] = relationship(lazy="joined")


class Appointment(Base):
    """A booking of one slot by a holder for one item, later linked to the application."""

    __tablename__ = "wallet_appointment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("wallet_appointment_slot.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("wallet_service_item.id"))
    holder_index: Mapped[str] = mapped_column(String(64), index=True)
    booked_by: Mapped[str] = mapped_column(String(200), index=True)  # the daily cap counts per person
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("wallet_application.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="booked")  # booked | cancelled | used
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    slot: Mapped[AppointmentSlot] = relationship(lazy="joined")
    item: Mapped[ServiceItem] = relationship(lazy="joined")
