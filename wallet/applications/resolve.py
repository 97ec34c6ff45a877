"""一号申请: resolve each requirement of an item against the holder's wallet and earlier materials.

Reuse classes (Hongta practice): ``always`` (birth certificate), ``while_valid`` (hygiene permit — an
expired one is not reused), ``selectable`` (marriage certificate — the applicant picks), ``never`` (an
item's application form). Trust levels: A issued by the authority, B checked at a window, C uploaded by
the holder, D the holder's own commitment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.applications.applicant import Applicant
from wallet.applications.exceptions import MaterialsMissing
from wallet.applications.models import ApplicationMaterial, Document
from wallet.catalog import service as catalog_service
from wallet.licenses import service as license_service
from wallet.licenses.models import License
from wallet.services.calendar import local_date
from wallet.services.models import ServiceItem, ServiceRequirement

TRUST_BY_SOURCE = {"wallet": "A", "counter": "B", "uploaded": "C", "form": "C", "commitment": "D"}


@dataclass
class Resolution:
    """How one requirement stands for this applicant: satisfied, or what they must still do."""

    key: str
    kind: str
    name: str
    status: str  # satisfied | missing
    action: str | None = None  # upload | sign | fill | select | obtain
    reason: str | None = None
    source: str | None = None  # wallet | uploaded | counter | form | commitment
    trust: str | None = None
    reused: bool = False
    license_identifier: str | None = None
    document_id: int | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    prefill: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the API."""
        out = {k: v for k, v in self.__dict__.items() if v not in (None, [], {})}
        out["reused"] = self.reused
        return out


@dataclass
class Preparation:
    """Everything the applicant sees before submitting: each requirement and, once, what is missing."""

    item: ServiceItem
    applicant: Applicant
    requirements: list[Resolution]

    @property
    def missing(self) -> list[Resolution]:
        """Requirements still to fulfil (一次性告知), all at once."""
        return [r for r in self.requirements if r.status != "satisfied"]

    def get(self, key: str) -> Resolution | None:
        """The resolution of requirement ``key``."""
        return next((r for r in self.requirements if r.key == key), None)


def _license_summary(lic: License, status: str) -> dict[str, Any]:
    return {
        "identifier": lic.identifier,
        "status": status,
        "valid_until": lic.valid_until,
        "issuer": lic.issuer.name,
    }


def _resolve_license(
    req: ServiceRequirement, licenses: Sequence[License], now: datetime, selection: str | None
) -> Resolution:
    res = Resolution(
        key=req.key,
        kind=req.kind,
        name=req.name,
        status="missing",
        details={"license_type": req.license_type_code},
    )
    mine = [lic for lic in licenses if lic.license_type.type_code == req.license_type_code]
    statuses = {lic.id: license_service.effective_status(lic, now=now) for lic in mine}
    reuse = mine[0].license_type.reuse_class if mine else None
    if reuse is None:
        res.action, res.reason = "obtain", "not_in_wallet"
        return res
    res.details["reuse"] = reuse
    if reuse == "never":
        res.action, res.reason = "obtain", "not_reusable"
        return res
    if reuse == "always":
        usable = [lic for lic in mine if statuses[lic.id] not in license_service.TERMINAL + ("suspended",)]
    else:
        usable = [lic for lic in mine if statuses[lic.id] == "valid"]
    if not usable:
        expired = any(s == "expired" for s in statuses.values())
        res.action, res.reason = "obtain", "expired" if expired else "not_valid"
        return res
    chosen: License | None = usable[0]  # newest first
    if reuse == "selectable":
        res.candidates = [_license_summary(lic, statuses[lic.id]) for lic in usable]
        chosen = next((lic for lic in usable if lic.identifier == (selection or "").strip().upper()), None)
        if chosen is None:
            res.action, res.reason = "select", "choose_license"
            return res
    assert chosen is not None
    res.status, res.source, res.trust, res.reused = "satisfied", "wallet", "A", True
    res.license_identifier = chosen.identifier
    res.details["valid_until"] = chosen.valid_until
    return res


def _document_valid(doc: Document, req: ServiceRequirement, now: datetime) -> bool:
    if doc.valid_until is not None and local_date(now) > doc.valid_until:
        return False
    if req.reuse == "while_valid" and req.valid_days:
        return local_date(doc.uploaded_at) + timedelta(days=req.valid_days) >= local_date(now)
    return True


def _resolve_document(
    req: ServiceRequirement,
    documents: Sequence[Document],
    used: set[int],
    now: datetime,
    selection: int | None,
    exclude: frozenset[int] = frozenset(),
) -> Resolution:
    res = Resolution(
        key=req.key,
        kind=req.kind,
        name=req.name,
        status="missing",
        action="upload",
        details={
            "doc_type": req.doc_type,
            "reuse": req.reuse,
            "accepted_types": req.accepted_types,
            "max_bytes": req.max_bytes,
        },
    )
    mine = [
        d
        for d in documents
        if d.doc_type == req.doc_type and d.content_type in req.accepted_types and d.id not in exclude
    ]
    if req.reuse == "never":
        # Uploaded for this application and not yet used by another one.
        usable = [d for d in mine if d.id not in used and _document_valid(d, req, now)]
    else:
        usable = [d for d in mine if d.reusable and _document_valid(d, req, now)]
    if not usable:
        res.reason = "expired" if mine else "not_uploaded"
        return res
    chosen: Document | None = usable[0]
    if selection is not None:
        chosen = next((d for d in usable if d.id == selection), None)
        if chosen is None:
            res.reason = "selected_document_not_usable"
            return res
    elif req.reuse == "selectable" and len(usable) > 1:
        res.candidates = [{"document_id": d.id, "name": d.name, "uploaded_at": d.uploaded_at} for d in usable]
        res.action, res.reason = "select", "choose_document"
        return res
    assert chosen is not None
    res.status, res.action, res.reason = "satisfied", None, None
    res.source = "counter" if chosen.trust == "B" else "uploaded"
    res.trust = chosen.trust
    res.reused = chosen.id in used
    res.document_id = chosen.id
    return res


def prefill_value(source: str, applicant: Applicant, licenses: Sequence[License], now: datetime) -> Any:
    """The value a form field is pre-filled with, from the applicant or one of their valid licenses."""
    if source in ("applicant.name",):
        return applicant.name
    if source == "person.name":
        return applicant.person_name or None
    if source == "applicant.credit_code":
        return applicant.number if applicant.kind == "organization" else None
    if source.startswith("license:"):
        type_code, _, name = source[len("license:") :].partition(".")
        for lic in licenses:
            if (
                lic.license_type.type_code == type_code
                and license_service.effective_status(lic, now=now) == "valid"
            ):
                return lic.data.get(name)
    return None


def _resolve_form(
    req: ServiceRequirement,
    applicant: Applicant,
    licenses: Sequence[License],
    now: datetime,
    given: dict[str, Any] | None,
) -> Resolution:
    prefill = {}
    for f in req.form_fields:
        if f.get("prefill"):
            value = prefill_value(f["prefill"], applicant, licenses, now)
            if value is not None:
                prefill[f["name"]] = value
    res = Resolution(
        key=req.key,
        kind=req.kind,
        name=req.name,
        status="missing",
        action="fill",
        reason="form_not_filled",
        prefill=prefill,
        details={"fields": req.form_fields},
    )
    if given is not None:
        res.status, res.action, res.reason = "satisfied", None, None
        res.source, res.trust = "form", "C"
    return res


def _resolve_commitment(req: ServiceRequirement, signed: bool) -> Resolution:
    res = Resolution(
        key=req.key,
        kind=req.kind,
        name=req.name,
        status="missing",
        action="sign",
        reason="not_signed",
        details={
            "commitment_text": req.commitment_text,
            "liability": req.liability,
            "replaces_proof": req.replaces_proof,
        },
    )
    if signed:
        res.status, res.action, res.reason, res.source, res.trust = "satisfied", None, None, "commitment", "D"
    return res


def holder_documents(*, session: Session, holder_index: str) -> tuple[list[Document], set[int]]:
    """The holder's uploaded documents (newest first) and the ids already used by an application."""
    docs = list(
        session.execute(
            select(Document).where(Document.holder_index == holder_index).order_by(Document.id.desc())
        )
        .scalars()
        .all()
    )
    used: set[int] = set()
    if docs:
        rows = session.execute(
            select(ApplicationMaterial.document_id).where(
                ApplicationMaterial.document_id.in_([d.id for d in docs])
            )
        ).scalars()
        used = {i for i in rows if i is not None}
    return docs, used


def prepare(
    *,
    session: Session,
    item: ServiceItem,
    applicant: Applicant,
    now: datetime,
    form: dict[str, dict[str, Any]] | None = None,
    commitments: Sequence[str] = (),
    selections: dict[str, Any] | None = None,
    only: Sequence[str] | None = None,
    exclude_documents: frozenset[int] = frozenset(),
) -> Preparation:
    """Resolve every active requirement of ``item`` (or only the keys in ``only``) for ``applicant``."""
    licenses = license_service.list_for_holders(session=session, holder_indexes={applicant.index})
    documents, used = holder_documents(session=session, holder_index=applicant.index)
    selections = selections or {}
    form = form or {}
    out = []
    for req in item.active_requirements:
        if only is not None and req.key not in only:
            continue
        chosen = selections.get(req.key)
        if req.kind == "license_type":
            out.append(_resolve_license(req, licenses, now, str(chosen) if chosen else None))
        elif req.kind == "document":
            doc_id = int(chosen) if isinstance(chosen, int | str) and str(chosen).isdigit() else None
            out.append(_resolve_document(req, documents, used, now, doc_id, exclude_documents))
        elif req.kind == "form":
            out.append(_resolve_form(req, applicant, licenses, now, form.get(req.key)))
        else:
            out.append(_resolve_commitment(req, req.key in commitments))
    return Preparation(item=item, applicant=applicant, requirements=out)


def require_complete(prep: Preparation) -> None:
    """一次性告知: :class:`MaterialsMissing` listing everything still missing, at once (if anything is)."""
    if prep.missing:
        raise MaterialsMissing(
            [
                {"key": r.key, "name": r.name, "action": r.action or "", "reason": r.reason or ""}
                for r in prep.missing
            ]
        )


def license_type_name(*, session: Session, type_code: str) -> str:
    """Display name of a license type (for the one-time list of what is missing)."""
    lt = catalog_service.get_type(session=session, type_code=type_code)
    return lt.name if lt is not None else type_code
