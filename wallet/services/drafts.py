"""A service item as an administrator edits it: the values a new item starts from, an existing item's
values (its active requirements as the JSON edited), and the definition made from what was posted, checked
against :class:`ServiceItemIn` before the service's own checks run on saving."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from wallet.services.exceptions import InvalidServiceItem
from wallet.services.models import ServiceItem, ServiceRequirement
from wallet.services.schemas import ServiceItemIn

DEFAULT_FEES: str = ServiceItemIn.model_fields["fees"].default  # "不收费"
DEFAULT_TIME_LIMIT_DAYS = 5
DEFAULT_CHANNELS = ("online", "counter")


def lines(value: str) -> list[str]:
    """The non-empty lines of a multi-line text (legal basis, conditions), stripped."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def new_item() -> dict[str, Any]:
    """The values a new item starts from: a personal item, online and at a counter, free, five working days."""
    return {
        "code": "",
        "name": "",
        "name_en": "",
        "category": "personal",
        "departments": [],
        "legal_basis": "",
        "conditions": "",
        "time_limit_days": DEFAULT_TIME_LIMIT_DAYS,
        "same_day": False,
        "fees": DEFAULT_FEES,
        "channels": list(DEFAULT_CHANNELS),
        "address": "",
        "hours": "",
        "contact": "",
        "issues_license_type": "",
        "needs_visit": False,
        "requirements": "[]",
    }


def requirement_values(r: ServiceRequirement) -> dict[str, Any]:
    """An active requirement as the JSON an administrator edits (only the attributes its kind uses)."""
    out: dict[str, Any] = {"key": r.key, "kind": r.kind, "name": r.name}
    if r.name_en:
        out["name_en"] = r.name_en
    if r.description:
        out["description"] = r.description
    if r.kind == "license_type":
        out["license_type"] = r.license_type_code
    elif r.kind == "document":
        out.update(doc_type=r.doc_type, reuse=r.reuse, accepted_types=r.accepted_types, max_bytes=r.max_bytes)
        if r.valid_days:
            out["valid_days"] = r.valid_days
    elif r.kind == "form":
        out["fields"] = r.form_fields
    elif r.kind == "commitment":
        out.update(commitment_text=r.commitment_text, liability=r.liability, post_check=r.post_check)
        if r.replaces_proof:
            out["replaces_proof"] = r.replaces_proof
    return {k: v for k, v in out.items() if v is not None}


def item_values(item: ServiceItem) -> dict[str, Any]:
    """An item's values as edited: texts one per line, its active requirements as indented JSON."""
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "category": item.category,
        "departments": list(item.department_codes),
        "legal_basis": "\n".join(item.legal_basis),
        "conditions": "\n".join(item.conditions),
        "time_limit_days": item.time_limit_days,
        "same_day": item.same_day,
        "fees": item.fees,
        "channels": list(item.channels),
        "address": item.address,
        "hours": item.hours,
        "contact": item.contact,
        "issues_license_type": item.issues_license_type or "",
        "needs_visit": item.needs_visit,
        "requirements": json.dumps([requirement_values(r) for r in item.active_requirements], ensure_ascii=False, indent=2),
    }


def item_spec(fields: dict[str, Any], *, requirements: Any) -> ServiceItemIn:
    """The item defined by the posted values (``requirements`` already read from its JSON): codes upper
    case, texts stripped, multi-line texts one entry per line, no fees given meaning free. The first schema
    failure is an :class:`InvalidServiceItem` naming the field (``requirements.0.name``) and the rule."""
    data = {
        "code": fields["code"].strip().upper(),
        "name": fields["name"].strip(),
        "name_en": fields["name_en"].strip(),
        "category": fields["category"],
        "departments": fields["departments"],
        "legal_basis": lines(fields["legal_basis"]),
        "conditions": lines(fields["conditions"]),
        "time_limit_days": fields["time_limit_days"],
        "same_day": fields["same_day"],
        "fees": fields["fees"].strip() or DEFAULT_FEES,
        "channels": fields["channels"],
        "address": fields["address"].strip(),
        "hours": fields["hours"].strip(),
        "contact": fields["contact"].strip(),
        "issues_license_type": fields["issues_license_type"] or None,
        "needs_visit": fields["needs_visit"],
        "requirements": requirements,
    }
    try:
        return ServiceItemIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "—"
        raise InvalidServiceItem(first["msg"], field=where) from exc
