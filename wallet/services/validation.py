"""What a service item's definition must be before it is saved: every requirement names a concrete
material (no "其他材料", "相关证明", "等"), with what its kind needs; its departments exist; its time limit
fits same-day or not; the license it issues is in the catalog."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from wallet.catalog import service as catalog_service
from wallet.services.exceptions import InvalidServiceItem, VagueRequirement
from wallet.services.schemas import RequirementIn, ServiceItemIn

# "其他材料", "相关证明", "etc." and a trailing "等" hide what is really asked for (玉政办发〔2017〕5号:
# 严禁出现"其他材料", 需要提供的材料必须列明具体情形).
_VAGUE = (
    re.compile(r"其[他它]\S{0,4}(材料|证明|资料|文件|证件)"),
    re.compile(r"(相关|有关)\S{0,4}(材料|证明|资料|文件|证件)"),
    re.compile(r"等(材料|证明|资料|文件|证件)?[\s。.、,，;；)）]*$"),
    re.compile(
        r"\b(other|related|relevant|additional|miscellaneous|supporting)\s+"
        r"(materials?|documents?|proofs?|papers?|files?)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(etc|and so on|and the like)\b\.?", re.IGNORECASE),
    re.compile(r"(\.\.\.|…)\s*$"),
)
KNOWN_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
_PREFILL = re.compile(
    r"^(applicant\.(name|number_masked|credit_code)|person\.name|license:[0-9A-Z]{21}\.\w+)$"
)


def is_vague(name: str) -> bool:
    """True when a requirement name does not say which material it is."""
    return any(p.search(name.strip()) for p in _VAGUE)


def check_item(session: Session, spec: ServiceItemIn) -> list[str]:
    """Check a whole definition; returns its departments' credit codes as stored."""
    departments = []
    for i, code in enumerate(spec.departments):
        dept = catalog_service.get_department(session=session, credit_code=code)
        if dept is None:
            raise InvalidServiceItem(
                f"no department {code!r}", field=f"departments[{i}]", code="unknown_department"
            )
        departments.append(dept.credit_code)
    if len(set(departments)) != len(departments):
        raise InvalidServiceItem("a department is listed twice", field="departments")
    if spec.same_day and spec.time_limit_days != 0:
        raise InvalidServiceItem(
            "a same-day item has a time limit of 0 working days", field="time_limit_days"
        )
    if not spec.same_day and spec.time_limit_days == 0:
        raise InvalidServiceItem(
            "an item that is not same-day has a time limit of at least 1 working day", field="time_limit_days"
        )
    if spec.issues_license_type:
        catalog_service.require_type(
            session=session, type_code=spec.issues_license_type, field="issues_license_type"
        )
    for field_name in ("name", "name_en"):
        if is_vague(getattr(spec, field_name) or "x"):
            raise VagueRequirement("an item name must say what it is", field=field_name)
    seen: set[str] = set()
    for i, req in enumerate(spec.requirements):
        check_requirement(session, req, f"requirements[{i}]", seen)
    return departments


def check_requirement(session: Session, req: RequirementIn, where: str, seen: set[str]) -> None:
    """One requirement at ``where``: a key not used before (``seen``), a concrete name, what its kind needs."""
    if req.key in seen:
        raise InvalidServiceItem(f"requirement key {req.key!r} is used twice", field=f"{where}.key")
    seen.add(req.key)
    for attr in ("name", "name_en"):
        value = getattr(req, attr)
        if value and is_vague(value):
            raise VagueRequirement(
                f"requirement {value!r} does not name a concrete material; list each material and the case "
                "in which it is needed instead of 'other materials' / 其他材料 / 等",
                field=f"{where}.{attr}",
            )
    if req.kind == "license_type":
        if not req.license_type:
            raise InvalidServiceItem(
                "a license requirement names its license type", field=f"{where}.license_type"
            )
        catalog_service.require_type(
            session=session, type_code=req.license_type, field=f"{where}.license_type"
        )
    elif req.kind == "document":
        _check_document(req, where)
    elif req.kind == "form":
        _check_form(req, where)
    elif req.kind == "commitment":
        if not req.commitment_text.strip() or not req.liability.strip():
            raise InvalidServiceItem(
                "a commitment states its wording and the liability for a false one",
                field=f"{where}.commitment_text",
            )


def _check_document(req: RequirementIn, where: str) -> None:
    """A document requirement: its doc type, reuse class (with days when reused while valid), content types."""
    if not req.doc_type or not req.reuse:
        raise InvalidServiceItem(
            "a document requirement has a doc_type and a reuse class", field=f"{where}.doc_type"
        )
    if req.reuse == "while_valid" and not req.valid_days:
        raise InvalidServiceItem(
            "a document reused while valid says for how many days (valid_days)",
            field=f"{where}.valid_days",
        )
    if not req.accepted_types:
        raise InvalidServiceItem(
            "a document requirement lists its accepted content types", field=f"{where}.accepted_types"
        )
    unknown = [t for t in req.accepted_types if t not in KNOWN_CONTENT_TYPES]
    if unknown:
        raise InvalidServiceItem(
            f"unsupported content types {unknown}; use {list(KNOWN_CONTENT_TYPES)}",
            field=f"{where}.accepted_types",
        )


def _check_form(req: RequirementIn, where: str) -> None:
    """A form requirement: its fields, with unique names and known prefill sources."""
    if not req.fields:
        raise InvalidServiceItem("a form requirement lists its fields", field=f"{where}.fields")
    names = [f.name for f in req.fields]
    if len(set(names)) != len(names):
        raise InvalidServiceItem("form field names must be unique", field=f"{where}.fields")
    for j, f in enumerate(req.fields):
        if f.prefill and not _PREFILL.match(f.prefill):
            raise InvalidServiceItem(
                f"unknown prefill source {f.prefill!r}", field=f"{where}.fields[{j}].prefill"
            )
