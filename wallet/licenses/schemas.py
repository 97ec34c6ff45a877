"""Pydantic schemas of the license API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.inputs import Day, Instant
from wallet.licenses.presentation import DEFAULT_TTL, MAX_TTL, MIN_TTL


class IssueIn(BaseModel):
    """Issue a license to a holder number."""

    type_code: str = Field(max_length=32)
    holder_number: str = Field(
        max_length=32, description="resident ID (persons) or credit code (organisations)"
    )
    holder_name: str = Field(max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)
    valid_from: Day | None = None
    valid_until: Day | None = None


class ReasonIn(BaseModel):
    """A lifecycle change and why."""

    reason: str | None = Field(default=None, max_length=500)


class NewVersionIn(BaseModel):
    """Renew or change a license: new data (merged over the old) and/or new validity."""

    data: dict[str, Any] | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None
    reason: str | None = Field(default=None, max_length=500)


class TypeRef(BaseModel):
    """Short reference to a license type."""

    code: str
    name: str
    name_en: str = ""
    reuse_class: str = ""


class IssuerRef(BaseModel):
    """Short reference to the issuing department."""

    name: str
    code: str


class HolderView(BaseModel):
    """The holder as this reader may see them."""

    kind: str
    name: str
    number: str


class LicenseOut(BaseModel):
    """A license as its holder (or its issuer) sees it."""

    identifier: str
    license_type: TypeRef
    issuer: IssuerRef
    holder: HolderView
    version: int
    previous: str | None = None
    status: str
    stored_status: str
    status_reason: str | None = None
    valid_from: date
    valid_until: date | None
    issued_at: datetime
    data: dict[str, Any]
    labels: dict[str, str]
    pdf_sha256: str
    pdf_size: int


class StatusOut(BaseModel):
    """Public status of a license: no personal data."""

    identifier: str
    status: str
    license_type: TypeRef
    issuer: IssuerRef
    version: int
    valid_from: date
    valid_until: date | None
    status_changed_at: datetime
    superseded_by: str | None = None
    checked_at: datetime


class EventOut(BaseModel):
    """One entry of a license's history."""

    at: datetime
    action: str
    actor: str
    reason: str | None
    details: dict[str, Any]


class PresentIn(BaseModel):
    """Fields to reveal and how long the presentation lasts."""

    fields: list[str] = Field(default_factory=list)
    ttl_seconds: int = Field(default=DEFAULT_TTL, ge=MIN_TTL, le=MAX_TTL)


class PresentationOut(BaseModel):
    """A presentation token, its QR code and the link the QR encodes."""

    token: str
    expires_at: datetime
    qr_png_url: str
    verify_url: str


class TokenIn(BaseModel):
    """A presentation token (from the QR)."""

    token: str = Field(max_length=8000)


class RevealedField(BaseModel):
    """A field the holder chose to reveal (or a grant allows)."""

    name: str
    label: str
    value: Any


class VerificationOut(BaseModel):
    """What a verifier learns: status, license, issuer, masked holder, revealed fields, when."""

    valid: bool
    status: str
    identifier: str
    license_type: TypeRef
    issuer: IssuerRef
    holder: HolderView
    valid_from: date
    valid_until: date | None
    fields: list[RevealedField]
    presented_at: datetime | None = None
    age_seconds: int | None = None
    checked_at: datetime


class LicenseCheckIn(BaseModel):
    """A department's check of a license it was shown (identifier + holder number), under a grant."""

    identifier: str = Field(max_length=80)
    holder_number: str = Field(max_length=32)
    purpose: str = Field(default="", max_length=500)


class PdfVerificationOut(BaseModel):
    """Signature report from signing/, registry match and current status of an uploaded PDF."""

    valid: bool
    verdict: str
    reasons_zh: list[str]
    reasons_en: list[str]
    sha256: str
    registered: bool
    identifier: str | None = None
    status: str | None = None
    license_type: TypeRef | None = None
    issuer: IssuerRef | None = None
    signature: dict[str, Any]
    checked_at: datetime


class GrantIn(BaseModel):
    """Grant a department or client the use of one license, or of a license type, for a purpose and period."""

    identifier: str | None = Field(default=None, max_length=80)
    type_code: str | None = Field(default=None, max_length=32)
    holder: Literal["self", "organization"] = "self"
    grantee_kind: Literal["department", "client"]
    grantee: str = Field(max_length=100)
    purpose: str = Field(
        max_length=500,
        description="a code of the purpose catalog (wallet/licenses/purposes.py), e.g. social_security; "
        "the grant shows its Chinese name",
    )
    valid_until: Instant = Field(description="with its UTC offset, e.g. 2026-06-30T18:00:00+08:00")
    valid_from: Instant | None = None
    fields: list[str] | None = None


class GrantOut(BaseModel):
    """A use grant."""

    id: int
    identifier: str | None
    type_code: str | None
    grantee_kind: str
    grantee: str
    purpose: str
    fields: list[str] | None
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    withdrawn_at: datetime | None
    active: bool


class AccessOut(BaseModel):
    """One read of one of the caller's licenses."""

    at: datetime
    identifier: str
    license_name: str
    accessor: str
    accessor_label: str
    action: str
    channel: str
    purpose: str
    grant_id: int | None


class SdJwtIn(BaseModel):
    """An SD-JWT VC (issuer JWT ~ disclosures ~)."""

    credential: str = Field(max_length=20000)
