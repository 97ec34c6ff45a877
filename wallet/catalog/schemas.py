"""Pydantic schemas of the catalog API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

HolderKind = Literal["person", "organization"]
ReuseClass = Literal["always", "while_valid", "selectable", "never"]


class DepartmentIn(BaseModel):
    """A department to add."""

    credit_code: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=200)
    seal_purpose: str = Field(default="行政审批专用章", max_length=50)


class DepartmentOut(BaseModel):
    """A department as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    credit_code: str
    name: str
    seal_purpose: str


class Validity(BaseModel):
    """Validity rule: a period after ``valid_from`` (years and/or months); absent means no expiry."""

    years: int = Field(default=0, ge=0, le=100, strict=True)  # strict: true is not 1 year
    months: int = Field(default=0, ge=0, le=1200, strict=True)


class LicenseTypeIn(BaseModel):
    """A license type to add to the catalog."""

    type_code: str = Field(min_length=1, max_length=32, description="GB/T 36904 type code, 0-9A-Z")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    issuer_code: str = Field(min_length=18, max_length=18)
    holder_kind: HolderKind
    field_schema: dict[str, Any] = Field(alias="schema")
    validity: Validity | None = None
    reuse_class: ReuseClass
    description: str = ""

    model_config = ConfigDict(populate_by_name=True)


class LicenseTypeOut(BaseModel):
    """A license type as the catalog shows it."""

    type_code: str
    name: str
    name_en: str
    issuer: DepartmentOut
    holder_kind: HolderKind
    holder_code_type: str
    schema_: dict[str, Any] = Field(serialization_alias="schema")
    validity: dict[str, Any] | None
    reuse_class: ReuseClass
    description: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> LicenseTypeOut:
        """Build from a :class:`wallet.catalog.models.LicenseType`."""
        return cls(
            type_code=row.type_code,
            name=row.name,
            name_en=row.name_en,
            issuer=DepartmentOut.model_validate(row.issuer),
            holder_kind=row.holder_kind,
            holder_code_type=row.holder_code_type,
            schema_=row.field_schema,
            validity=row.validity,
            reuse_class=row.reuse_class,
            description=row.description,
            active=row.active,
            created_at=row.created_at,
        )
