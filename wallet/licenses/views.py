"""Schemas built from license rows, with the masking each reader is due."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import identifiers
from core.clock import utcnow
from core.crypto import decrypt_str
from core.settings import Settings
from wallet.catalog import fieldschema
from wallet.licenses import presentation, service
from wallet.licenses.grants import is_active
from wallet.licenses.models import License, UseGrant
from wallet.licenses.refs import LicenseFacts
from wallet.licenses.schemas import (
    GrantOut,
    HolderView,
    IssuerRef,
    LicenseOut,
    StatusOut,
    TypeRef,
)


def type_ref(lic: License) -> TypeRef:
    """The license's type, briefly."""
    t = lic.license_type
    return TypeRef(code=t.type_code, name=t.name, name_en=t.name_en, reuse_class=t.reuse_class)


def issuer_ref(lic: License) -> IssuerRef:
    """The issuing department, briefly."""
    return IssuerRef(name=lic.issuer.name, code=lic.issuer.credit_code)


# Candidates for a clear resident ID number (GB 11643) or unified social credit code (GB 32100) in text.
_NUMBER_LIKE = re.compile(r"(?<![0-9A-Z])(?:\d{17}[\dXx]|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})(?![0-9A-Z])")


def _mask_text(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        value = match.group(0)
        kind = identifiers.classify(value)
        return value if kind is None else identifiers.mask(value, kind)

    return _NUMBER_LIKE.sub(one, text)


def mask_numbers(value: Any) -> Any:
    """``value`` with every clear ID or credit number inside it masked (for a token without ``id_number``)."""
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, dict):
        return {k: mask_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_numbers(v) for v in value]
    return value


def license_out(
    lic: License,
    *,
    settings: Settings,
    full_holder: bool,
    fields: list[str] | None = None,
    previous: str | None = None,
    now: datetime | None = None,
    mask_data: bool = False,
) -> LicenseOut:
    """A license for its holder (``full_holder``: clear number) or a department (masked, granted fields);
    ``mask_data`` also masks any clear ID or credit number inside the license data."""
    if full_holder:
        number = decrypt_str(
            lic.holder_number_cipher, master_key=settings.secret_key, context=service.HOLDER_NUMBER_CONTEXT
        )
        holder = HolderView(kind=lic.holder_kind, name=lic.holder_name, number=number)
    else:
        holder = HolderView(kind=lic.holder_kind, name=lic.holder_name, number=lic.holder_number_masked)
    data = lic.data if fields is None else {k: v for k, v in lic.data.items() if k in fields}
    if mask_data:
        data = mask_numbers(data)
    return LicenseOut(
        identifier=lic.identifier,
        license_type=type_ref(lic),
        issuer=issuer_ref(lic),
        holder=holder,
        version=lic.version,
        previous=previous,
        status=service.effective_status(lic, now=now),
        stored_status=lic.status,
        status_reason=lic.status_reason,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        issued_at=lic.issued_at,
        data=data,
        labels=fieldschema.labels(lic.license_type.field_schema),
        pdf_sha256=lic.pdf_sha256,
        pdf_size=lic.pdf_size,
    )


def status_out(lic: License, *, superseded_by: str | None, now: datetime | None = None) -> StatusOut:
    """Public status: nothing about the holder."""
    now = now or utcnow()
    return StatusOut(
        identifier=lic.identifier,
        status=service.effective_status(lic, now=now),
        license_type=type_ref(lic),
        issuer=issuer_ref(lic),
        version=lic.version,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        status_changed_at=lic.status_changed_at,
        superseded_by=superseded_by,
        checked_at=now,
    )


def verification_body(
    lic: LicenseFacts, *, claims: dict[str, Any], age: int, now: datetime
) -> dict[str, Any]:
    """What a verifier of a presentation learns: :class:`VerificationOut` as JSON-ready values, key for key
    (the API sends it without building the model; the page validates it into one)."""
    state = service.effective_status(lic, now=now)
    t, issuer = lic.license_type, lic.issuer
    labels = fieldschema.labels(t.field_schema)
    shown = dict(claims.get("fields") or {})
    return {
        "valid": state == "valid",
        "status": state,
        "identifier": lic.identifier,
        "license_type": {"code": t.type_code, "name": t.name, "name_en": t.name_en, "reuse_class": t.reuse_class},
        "issuer": {"name": issuer.name, "code": issuer.credit_code},
        "holder": {
            "kind": lic.holder_kind,
            "name": service.masked_holder_name(lic),
            # the number as the token shows it: narrower beside a disclosed date (presentation.shown_number)
            "number": presentation.shown_number(
                kind=lic.holder_kind, masked=lic.holder_number_masked, data=lic.data, fields=shown
            ),
        },
        "valid_from": lic.valid_from,
        "valid_until": lic.valid_until,
        # only what the holder chose to show (signed into the token) and the license still has
        "fields": [
            {"name": k, "label": labels.get(k, k), "value": v} for k, v in shown.items() if k in lic.data
        ],
        "presented_at": datetime.fromtimestamp(int(claims["iat"]), UTC),
        "age_seconds": age,
        "checked_at": now,
    }


def grant_out(grant: UseGrant, *, now: datetime | None = None) -> GrantOut:
    """A use grant for its holder."""
    return GrantOut(
        id=grant.id,
        identifier=grant.license.identifier if grant.license else None,
        type_code=grant.license_type.type_code if grant.license_type else None,
        grantee_kind=grant.grantee_kind,
        grantee=grant.grantee,
        purpose=grant.purpose,
        fields=grant.fields,
        valid_from=grant.valid_from,
        valid_until=grant.valid_until,
        created_at=grant.created_at,
        withdrawn_at=grant.withdrawn_at,
        active=is_active(grant, now=now or utcnow()),
    )
