"""Service catalog logic: define items and their requirements, publish guides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import worklog
from core.db import utcnow
from wallet.catalog import service as catalog_service
from wallet.services.exceptions import (
    DuplicateServiceItem,
    InvalidServiceItem,
    UnknownServiceItem,
    VagueRequirement,
)
from wallet.services.models import ServiceItem, ServiceRequirement
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
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
KNOWN_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
_PREFILL = re.compile(
    r"^(applicant\.(name|number_masked|credit_code)|person\.name|license:[0-9A-Z]{21}\.\w+)$"
)


def is_vague(name: str) -> bool:
    """True when a requirement name does not say which material it is."""
    return any(p.search(name.strip()) for p in _VAGUE)


def get_item(*, session: Session, code: str) -> ServiceItem | None:
    """The item with this code, or None."""
    return session.execute(
        select(ServiceItem).where(ServiceItem.code == code.strip().upper())
    ).scalar_one_or_none()


def require_item(*, session: Session, code: str, field: str = "code") -> ServiceItem:
    """The active item with this code, or :class:`UnknownServiceItem`."""
    item = get_item(session=session, code=code)
    if item is None or not item.active:
        raise UnknownServiceItem(code, field=field)
    return item


def list_items(
    *, session: Session, category: str | None = None, department: str | None = None
) -> Sequence[ServiceItem]:
    """Active items by code, optionally of one category or led by one department."""
    stmt = select(ServiceItem).where(ServiceItem.active.is_(True)).order_by(ServiceItem.code)
    if category:
        stmt = stmt.where(ServiceItem.category == category)
    items = session.execute(stmt).scalars().all()
    if department:
        items = [i for i in items if department.upper() in i.department_codes]
    return items


def _check_requirement(session: Session, req: RequirementIn, where: str, seen: set[str]) -> None:
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
    elif req.kind == "form":
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
    elif req.kind == "commitment":
        if not req.commitment_text.strip() or not req.liability.strip():
            raise InvalidServiceItem(
                "a commitment states its wording and the liability for a false one",
                field=f"{where}.commitment_text",
            )


def _validate(session: Session, spec: ServiceItemIn) -> list[str]:
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
        _check_requirement(session, req, f"requirements[{i}]", seen)
    return departments


def _apply_requirement(row: ServiceRequirement, req: RequirementIn, position: int) -> None:
    row.position = position
    row.kind = req.kind
    row.name = req.name.strip()
    row.name_en = req.name_en.strip()
    row.description = req.description
    row.license_type_code = req.license_type.strip().upper() if req.license_type else None
    row.doc_type = req.doc_type
    row.reuse = req.reuse if req.kind == "document" else None
    row.valid_days = req.valid_days
    row.accepted_types = list(req.accepted_types)
    row.max_bytes = (req.max_bytes or DEFAULT_MAX_BYTES) if req.kind == "document" else None
    row.form_fields = [f.model_dump(exclude_none=True) for f in req.fields]
    row.commitment_text = req.commitment_text
    row.liability = req.liability
    row.replaces_proof = req.replaces_proof
    row.post_check = req.post_check
    row.dropped_at = None
    row.dropped_reason = None


def _apply(item: ServiceItem, spec: ServiceItemIn, departments: list[str]) -> None:
    item.name = spec.name.strip()
    item.name_en = spec.name_en.strip()
    item.category = spec.category
    item.department_codes = departments
    item.legal_basis = list(spec.legal_basis)
    item.conditions = list(spec.conditions)
    item.time_limit_days = spec.time_limit_days
    item.same_day = spec.same_day
    item.fees = spec.fees
    item.channels = list(spec.channels)
    item.address = spec.address
    item.hours = spec.hours
    item.contact = spec.contact
    item.issues_license_type = spec.issues_license_type.strip().upper() if spec.issues_license_type else None
    item.needs_visit = spec.needs_visit


def create_item(*, session: Session, spec: ServiceItemIn, actor: str = "system") -> ServiceItem:
    """Add an item to the catalog after checking every requirement is concrete; flushes."""
    code = spec.code.strip().upper()
    if get_item(session=session, code=code) is not None:
        raise DuplicateServiceItem(f"service item {code} already exists", field="code")
    departments = _validate(session, spec)
    item = ServiceItem(code=code, version=1)
    _apply(item, spec, departments)
    for position, req in enumerate(spec.requirements):
        row = ServiceRequirement(key=req.key)
        _apply_requirement(row, req, position)
        item.requirements.append(row)
    session.add(item)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.service_item.create",
        object=f"service:{code}",
        details={"name": item.name, "requirements": [r.key for r in spec.requirements]},
    )
    return item


def update_item(*, session: Session, code: str, spec: ServiceItemIn, actor: str = "system") -> ServiceItem:
    """Replace an item's definition (its code stays); requirements left out are marked dropped; flushes."""
    item = require_item(session=session, code=code)
    if spec.code.strip().upper() != item.code:
        raise InvalidServiceItem("the code of an item never changes (一码)", field="code")
    departments = _validate(session, spec)
    _apply(item, spec, departments)
    by_key = {r.key: r for r in item.requirements}
    now = utcnow()
    for position, req in enumerate(spec.requirements):
        row = by_key.pop(req.key, None)
        if row is None:
            row = ServiceRequirement(key=req.key)
            item.requirements.append(row)
        _apply_requirement(row, req, position)
    for row in by_key.values():
        if row.dropped_at is None:
            row.dropped_at, row.dropped_reason = now, "removed from the item"
    item.version += 1
    item.updated_at = now
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.service_item.update",
        object=f"service:{item.code}",
        details={"version": item.version, "requirements": [r.key for r in spec.requirements]},
    )
    return item


def get_requirement(*, item: ServiceItem, key: str) -> ServiceRequirement | None:
    """The active requirement ``key`` of ``item``, or None."""
    return next((r for r in item.active_requirements if r.key == key), None)


def drop_requirement(
    *, session: Session, item: ServiceItem, key: str, reason: str, actor: str, now: datetime | None = None
) -> ServiceRequirement:
    """Stop asking for a requirement (a proof found unnecessary); flushes."""
    row = get_requirement(item=item, key=key)
    if row is None:
        raise InvalidServiceItem(f"item {item.code} has no requirement {key!r}", field="requirement")
    row.dropped_at = now or utcnow()
    row.dropped_reason = reason[:500]
    item.version += 1
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.service_item.drop_requirement",
        object=f"service:{item.code}",
        details={"requirement": key, "reason": reason[:200]},
    )
    return row


def convert_to_commitment(
    *,
    session: Session,
    item: ServiceItem,
    key: str,
    commitment_text: str,
    liability: str,
    post_check: str,
    actor: str,
) -> ServiceRequirement:
    """Replace a proof by a commitment (告知承诺) with its wording, liability and post-check; flushes."""
    row = get_requirement(item=item, key=key)
    if row is None:
        raise InvalidServiceItem(f"item {item.code} has no requirement {key!r}", field="requirement")
    if row.kind == "commitment":
        raise InvalidServiceItem(f"requirement {key!r} is already a commitment", field="requirement")
    if not commitment_text.strip() or not liability.strip():
        raise InvalidServiceItem(
            "a commitment states its wording and the liability for a false one", field="commitment_text"
        )
    proof = row.name
    row.kind = "commitment"
    row.replaces_proof = proof
    row.name = f"{proof}(告知承诺)"
    row.name_en = f"{row.name_en} (commitment)" if row.name_en else ""
    row.commitment_text, row.liability, row.post_check = commitment_text, liability, post_check
    row.license_type_code = row.doc_type = row.reuse = None
    row.accepted_types, row.max_bytes, row.form_fields = [], None, []
    item.version += 1
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.service_item.commitment",
        object=f"service:{item.code}",
        details={"requirement": key, "replaces": proof},
    )
    return row


def post_check_list(*, item: ServiceItem) -> list[dict[str, Any]]:
    """Commitments that replace a proof and how each is checked afterwards (事后核查清单)."""
    return [
        {
            "key": r.key,
            "commitment": r.name,
            "replaces_proof": r.replaces_proof,
            "post_check": r.post_check,
            "liability": r.liability,
        }
        for r in item.active_requirements
        if r.kind == "commitment" and r.replaces_proof
    ]


def _requirement_guide(session: Session, r: ServiceRequirement, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": r.key,
        "kind": r.kind,
        "name": r.name_en or r.name if lang == "en" else r.name,
        "description": r.description,
    }
    if r.kind == "license_type" and r.license_type_code:
        lt = catalog_service.get_type(session=session, type_code=r.license_type_code)
        out["license_type"] = r.license_type_code
        if lt is not None:
            out["license_type_name"] = lt.name
            out["reuse"] = lt.reuse_class
            out["issuer"] = lt.issuer.name
    elif r.kind == "document":
        out.update(
            doc_type=r.doc_type,
            reuse=r.reuse,
            valid_days=r.valid_days,
            accepted_types=r.accepted_types,
            max_bytes=r.max_bytes,
        )
    elif r.kind == "form":
        out["fields"] = r.form_fields
    elif r.kind == "commitment":
        out.update(commitment_text=r.commitment_text, liability=r.liability, replaces_proof=r.replaces_proof)
    return out


def guide(*, session: Session, item: ServiceItem, base_url: str = "", lang: str = "zh") -> dict[str, Any]:
    """The service guide (服务指南) of an item as plain data (JSON, page and QR share it)."""
    departments = []
    for code in item.department_codes:
        dept = catalog_service.get_department(session=session, credit_code=code)
        departments.append({"credit_code": code, "name": dept.name if dept else code})
    issues = None
    if item.issues_license_type:
        lt = catalog_service.get_type(session=session, type_code=item.issues_license_type)
        issues = {"type_code": item.issues_license_type, "name": lt.name if lt else item.issues_license_type}
    base = base_url.rstrip("/")
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "category": item.category,
        "departments": departments,
        "legal_basis": item.legal_basis,
        "conditions": item.conditions,
        "requirements": [_requirement_guide(session, r, lang) for r in item.active_requirements],
        "post_check": post_check_list(item=item),
        "time_limit_days": item.time_limit_days,
        "same_day": item.same_day,
        "fees": item.fees,
        "channels": item.channels,
        "address": item.address,
        "hours": item.hours,
        "contact": item.contact,
        "issues_license": issues,
        "needs_visit": item.needs_visit,
        "version": item.version,
        "guide_url": f"{base}/services/{item.code}",
        "qr_url": f"{base}/services/{item.code}/qr.png",
    }
