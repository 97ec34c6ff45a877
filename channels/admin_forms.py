"""Admin form handling: turning posted fields into service input, items back into form values, and a
service's rejection into one human sentence that names what to fix."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from channels.pages import human_message
from channels.rendering import translator
from wallet.services.models import ServiceItem, ServiceRequirement
from wallet.services.schemas import ServiceItemIn

FIELD_INDEX = re.compile(r"requirements\[(\d+)\]")


class FormProblem(Exception):
    """A posted admin form that cannot be read (bad JSON, missing field); carries the sentence to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lines(value: str) -> list[str]:
    """Non-empty lines of a textarea."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def parse_json(value: str, *, label: str, lang: str, default: Any) -> Any:
    """The JSON of a textarea, or a :class:`FormProblem` naming the field and the line."""
    if not value.strip():
        return default
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise FormProblem(translator(lang)("err_admin_json", field=label, line=exc.lineno)) from exc


def item_spec(fields: dict[str, Any], *, lang: str) -> ServiceItemIn:
    """A service item from the admin form; a schema failure becomes one sentence naming the field."""
    t = translator(lang)
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
        "fees": fields["fees"].strip() or "不收费",
        "channels": fields["channels"],
        "address": fields["address"].strip(),
        "hours": fields["hours"].strip(),
        "contact": fields["contact"].strip(),
        "issues_license_type": fields["issues_license_type"] or None,
        "needs_visit": fields["needs_visit"],
        "requirements": parse_json(fields["requirements"], label=t("admin_requirements"), lang=lang, default=[]),
    }
    try:
        return ServiceItemIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "—"
        raise FormProblem(t("err_admin_field", field=where, detail=first["msg"])) from exc


def requirement_dict(r: ServiceRequirement) -> dict[str, Any]:
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


def item_values(item: ServiceItem | None) -> dict[str, Any]:
    """The form's values for an item (empty for a new one)."""
    if item is None:
        return {
            "code": "",
            "name": "",
            "name_en": "",
            "category": "personal",
            "departments": [],
            "legal_basis": "",
            "conditions": "",
            "time_limit_days": 5,
            "same_day": False,
            "fees": "不收费",
            "channels": ["online", "counter"],
            "address": "",
            "hours": "",
            "contact": "",
            "issues_license_type": "",
            "needs_visit": False,
            "requirements": "[]",
        }
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
        "requirements": json.dumps([requirement_dict(r) for r in item.active_requirements], ensure_ascii=False, indent=2),
    }


def rejection(exc: BaseException, *, lang: str, spec: ServiceItemIn | None = None) -> str:
    """The service's specific error as a sentence; a vague requirement is named by its own words."""
    t = translator(lang)
    code = str(getattr(exc, "code", "") or "")
    field = str(getattr(exc, "field", "") or "")
    if code == "vague_requirement" and spec is not None:
        found = FIELD_INDEX.search(field)
        if found and int(found.group(1)) < len(spec.requirements):
            return t("err_admin_vague", name=spec.requirements[int(found.group(1))].name)
        return t("err_admin_vague", name=spec.name)
    return human_message(exc, lang)
