"""Pydantic schemas of the applications API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.db import DbInt
from core.inputs import Instant


class PrepareOut(BaseModel):
    """Each requirement resolved for the applicant, and once, everything still missing (一次性告知)."""

    item: str
    item_name: str
    applicant: dict[str, str]
    requirements: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    holder_number_required: bool


class DocumentOut(BaseModel):
    """An uploaded material."""

    id: int
    doc_type: str
    name: str
    content_type: str
    size: int
    sha256: str
    trust: str
    uploaded_at: datetime
    reusable: bool


class SubmitIn(BaseModel):
    """An application: form values, signed commitments, chosen licenses/documents."""

    item: str
    form: dict[str, dict[str, Any]] = Field(default_factory=dict)
    commitments: list[str] = Field(default_factory=list)
    selections: dict[str, str | DbInt] = Field(default_factory=dict)
    green_channel: Literal["elderly", "disabled", "pregnant"] | None = None
    appointment_id: DbInt | None = None
    holder_number: str | None = Field(default=None, description="needed once when the item issues a license")


class CounterSubmitIn(SubmitIn):
    """A walk-in application taken at a counter: the clerk types the applicant's number."""

    number: str
    name: str
    centre: str | None = None


class MaterialOut(BaseModel):
    """How one requirement was fulfilled."""

    requirement: str
    round: int
    kind: str
    source: str
    trust: str
    reused: bool
    license_identifier: str | None = None
    document_id: int | None = None


class EventOut(BaseModel):
    """A timeline step."""

    at: datetime
    action: str
    role: str
    department: str | None = None
    note: str = ""


class ResultOut(BaseModel):
    """The delivered result."""

    outcome: str
    sha256: str
    size: int
    license_identifier: str | None
    delivered_at: datetime
    pdf_url: str


class AppointmentOut(BaseModel):
    """A booking."""

    id: int
    centre: str
    centre_name: str
    item: str
    starts_at: datetime
    ends_at: datetime
    status: str
    application: str | None = None


class ApplicationOut(BaseModel):
    """An application as its applicant (or the reviewing department) sees it."""

    serial: str
    query_code: str | None = None
    item: str
    item_name: str
    status: str
    channel: str
    acting_role: str
    applicant_name: str
    applicant_number_masked: str
    green_channel: str | None
    submitted_at: datetime
    accepted_at: datetime | None
    deadline: date | None
    concluded_at: datetime | None
    working_days_used: int | None
    form: dict[str, Any]
    materials: list[MaterialOut]
    timeline: list[EventOut]
    supplement_requested: list[dict[str, Any]]
    result: ResultOut | None
    appointment: AppointmentOut | None


class ReviewIn(BaseModel):
    """A reviewer's decision."""

    decision: Literal["approve", "reject", "supplement"]
    reasons: list[str] = Field(default_factory=list)
    items: list[dict[str, Any]] = Field(default_factory=list)
    license_data: dict[str, Any] | None = None


class SupplementIn(BaseModel):
    """The applicant's answer to a supplement request."""

    form: dict[str, dict[str, Any]] = Field(default_factory=dict)
    commitments: list[str] = Field(default_factory=list)
    selections: dict[str, str | DbInt] = Field(default_factory=dict)


class QueueEntryOut(BaseModel):
    """One line of a department queue."""

    serial: str
    item: str
    item_name: str
    status: str
    task_status: str
    deadline: date
    days_left: int
    overdue: bool
    near_due: bool
    green_channel: bool
    agent: bool
    cursor: str


class RatingIn(BaseModel):
    """好差评."""

    score: int
    comment: str = Field(default="", max_length=2000)


class RatingOut(BaseModel):
    """A stored rating."""

    serial: str
    score: int
    comment: str
    at: datetime
    follow_up: bool


class ComplaintIn(BaseModel):
    """A complaint; ``unnecessary_proof`` names one requirement of the item."""

    item: str
    kind: Literal["service", "unnecessary_proof"] = "service"
    text: str = Field(min_length=1, max_length=4000)
    serial: str | None = None
    requirement: str | None = None


class ComplaintHandleIn(BaseModel):
    """How an administrator handles a complaint."""

    status: Literal["in_progress", "upheld", "dismissed"]
    resolution: str = ""
    action: Literal["drop", "commitment"] | None = None
    commitment_text: str = ""
    liability: str = ""
    post_check: str = ""


class ComplaintOut(BaseModel):
    """A complaint with its handling status."""

    id: int
    kind: str
    item: str
    serial: str | None
    requirement: str | None
    text: str
    status: str
    resolution: str
    action: str | None
    created_at: datetime
    resolved_at: datetime | None


class CentreIn(BaseModel):
    """A service centre."""

    code: str = Field(pattern=r"^[A-Z0-9-]{2,40}$")
    name: str
    address: str = ""


class SlotsIn(BaseModel):
    """Slots to open at a centre."""

    starts: list[Instant] = Field(max_length=1000, description="with their UTC offset")
    minutes: int = Field(default=30, ge=1, le=24 * 60)
    capacity: int = Field(default=1, ge=1, le=10_000)


class SlotOut(BaseModel):
    """A slot with its free places."""

    id: int
    centre: str
    starts_at: datetime
    ends_at: datetime
    free: int


class BookIn(BaseModel):
    """Book a slot for an item."""

    slot_id: DbInt
    item: str
