"""Pydantic schemas of the service catalog API (items, requirements, guides, calendar)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.inputs import Day

Category = Literal["personal", "business"]
Channel = Literal["online", "counter"]
RequirementKind = Literal["license_type", "document", "form", "commitment"]
ReuseClass = Literal["always", "while_valid", "selectable", "never"]
FieldType = Literal["string", "integer", "number", "boolean", "date"]

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
ITEM_CODE_PATTERN = r"^[0-9A-Z][0-9A-Z-]{2,39}$"


class FormField(BaseModel):
    """One field of an application form; ``prefill`` names where its value comes from.

    ``prefill`` is ``applicant.name``, ``applicant.number_masked``, ``person.name`` or
    ``license:<type code>.<field>`` (a field of the applicant's license of that type).
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=100)
    label_en: str = Field(default="", max_length=100)
    type: FieldType = "string"
    required: bool = True
    max_length: int | None = Field(default=None, ge=1, le=10000)
    enum: list[str] | None = None
    prefill: str | None = Field(default=None, max_length=100)


class RequirementIn(BaseModel):
    """A material requirement; which attributes matter depends on ``kind``."""

    key: str = Field(pattern=KEY_PATTERN)
    kind: RequirementKind
    name: str = Field(min_length=2, max_length=200)
    name_en: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    license_type: str | None = Field(default=None, description="kind license_type: the license type code")
    doc_type: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_.]{0,59}$",
        description="kind document: shared name so an upload is reused across items",
    )
    reuse: ReuseClass | None = Field(default=None, description="kind document: reuse class of the upload")
    valid_days: int | None = Field(default=None, ge=1, le=3650, description="document reused while_valid")
    accepted_types: list[str] = Field(default_factory=list)
    max_bytes: int | None = Field(default=None, ge=1)
    fields: list[FormField] = Field(default_factory=list, description="kind form")
    commitment_text: str = Field(default="", max_length=4000)
    liability: str = Field(default="", max_length=4000)
    replaces_proof: str | None = Field(
        default=None, max_length=200, description="kind commitment: the proof it replaces"
    )
    post_check: str = Field(
        default="", max_length=2000, description="how the commitment is checked afterwards"
    )


class ServiceItemIn(BaseModel):
    """A service item as an administrator defines it."""

    code: str = Field(pattern=ITEM_CODE_PATTERN)
    name: str = Field(min_length=2, max_length=200)
    name_en: str = Field(default="", max_length=200)
    category: Category
    departments: list[str] = Field(min_length=1, max_length=10)
    legal_basis: list[str] = Field(min_length=1)
    conditions: list[str] = Field(default_factory=list)
    time_limit_days: int = Field(ge=0, le=366)
    same_day: bool = False
    fees: str = Field(default="不收费", max_length=500)
    channels: list[Channel] = Field(min_length=1)
    address: str = Field(default="", max_length=500)
    hours: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=200)
    issues_license_type: str | None = None
    needs_visit: bool = False
    requirements: list[RequirementIn] = Field(default_factory=list, max_length=50)


class ServiceItemSummary(BaseModel):
    """A line of the catalog."""

    code: str
    name: str
    name_en: str
    category: Category
    department: str
    time_limit_days: int
    same_day: bool
    channels: list[str]


class GuideOut(BaseModel):
    """The service guide (服务指南) as JSON."""

    code: str
    name: str
    name_en: str
    category: str
    departments: list[dict[str, str]]
    legal_basis: list[str]
    conditions: list[str]
    requirements: list[dict[str, Any]]
    post_check: list[dict[str, Any]]
    time_limit_days: int
    same_day: bool
    fees: str
    channels: list[str]
    address: str
    hours: str
    contact: str
    issues_license: dict[str, str] | None
    needs_visit: bool
    version: int
    guide_url: str
    qr_url: str


class CalendarDayIn(BaseModel):
    """A holiday or an adjusted working weekend day."""

    day: Day
    kind: Literal["holiday", "workday"]
    name: str = Field(default="", max_length=100)


class CalendarDayOut(CalendarDayIn):
    """A stored calendar exception."""


class WorkingDaysOut(BaseModel):
    """Result of a working-day computation."""

    start: date
    days: int
    end: date
