"""The service guide (服务指南) of an item as plain data: the JSON API, the hall's page and the QR code share
it; and the post-check list of the commitments that replace a proof (事后核查清单)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.web.i18n import EN, ZH
from wallet.catalog import service as catalog_service
from wallet.services.models import ServiceItem, ServiceRequirement


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
        "name": r.name_en or r.name if lang == EN else r.name,
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


def guide(*, session: Session, item: ServiceItem, base_url: str = "", lang: str = ZH) -> dict[str, Any]:
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
