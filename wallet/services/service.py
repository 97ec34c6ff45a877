"""Service catalog logic: define items and their requirements (checked by :mod:`validation`), drop a
requirement or turn a proof into a commitment; the published guide is :mod:`guide`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from wallet.services.exceptions import DuplicateServiceItem, InvalidServiceItem, UnknownServiceItem
from wallet.services.guide import guide as guide  # re-exported: the hall publishes it from here
from wallet.services.models import ServiceItem, ServiceRequirement
from wallet.services.schemas import RequirementIn, ServiceItemIn
from wallet.services.validation import check_item

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

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
    departments = check_item(session, spec)
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
    departments = check_item(session, spec)
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


