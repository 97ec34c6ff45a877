"""Uploaded materials: checked before anything is stored, kept once per holder and reused later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core import worklog
from storage import StorageError
from wallet.applications.applicant import Applicant
from wallet.applications.exceptions import (
    FileTooLarge,
    RefusedContentType,
    UnknownRequirement,
    WrongMaterialKind,
)
from wallet.applications.models import Document
from wallet.errors import StorageUnavailable
from wallet.services import service as catalog
from wallet.services.models import ServiceItem, ServiceRequirement

# The first bytes each accepted content type must start with: a file is what its bytes say, not its name.
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def document_requirement(*, item: ServiceItem, key: str) -> ServiceRequirement:
    """The active document requirement ``key`` of ``item``, or a specific error."""
    req = catalog.get_requirement(item=item, key=key)
    if req is None:
        raise UnknownRequirement(f"{item.name} has no requirement {key!r}", field="requirement")
    if req.kind != "document":
        hint = {
            "license_type": "it is taken from the wallet",
            "form": "it is filled in the application",
            "commitment": "it is signed, not uploaded",
        }[req.kind]
        raise WrongMaterialKind(f"{req.name} is not a document to upload: {hint}", field="requirement")
    return req


def check_upload(*, req: ServiceRequirement, data: bytes, content_type: str, limit: int) -> str:
    """Refuse a file of the wrong type, whose bytes disagree with its type, or over the size limit."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    max_bytes = min(req.max_bytes or limit, limit)
    if len(data) > max_bytes:
        raise FileTooLarge(f"{req.name}: the file is larger than {max_bytes} bytes", field="file")
    if ctype not in req.accepted_types:
        raise RefusedContentType(
            f"{req.name} accepts {', '.join(req.accepted_types)}, not {ctype or 'unknown'}", field="file"
        )
    if not data:
        raise RefusedContentType(f"{req.name}: the file is empty", field="file")
    if not any(data.startswith(m) for m in _MAGIC.get(ctype, (b"",))):
        raise RefusedContentType(f"{req.name}: the file's content is not {ctype}", field="file")
    return ctype


def upload(
    *,
    session: Session,
    blob_store: Any,
    item: ServiceItem,
    applicant: Applicant,
    requirement: str,
    data: bytes,
    content_type: str,
    filename: str,
    actor: str,
    limit: int,
    at_counter: bool = False,
    now: datetime | None = None,
) -> Document:
    """Check and store a document for the applicant; nothing is stored when a check fails. Flushes."""
    req = document_requirement(item=item, key=requirement)
    ctype = check_upload(req=req, data=data, content_type=content_type, limit=limit)
    try:
        info = blob_store.put(data, content_type=ctype)
    except StorageError as exc:
        raise StorageUnavailable(f"the material store is unavailable, nothing was stored ({exc})") from exc
    doc = Document(
        holder_index=applicant.index,
        doc_type=req.doc_type or req.key,
        name=req.name,
        filename=(filename or "")[:200],
        content_type=ctype,
        size=len(data),
        blob_key=info.key,
        trust="B" if at_counter else "C",
        uploaded_by=actor,
        reusable=req.reuse != "never",
    )
    if now is not None:
        doc.uploaded_at = now
    session.add(doc)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.material.upload",
        object=f"document:{doc.id}",
        details={
            "item": item.code,
            "requirement": req.key,
            "sha256": info.key,
            "size": len(data),
            "trust": doc.trust,
        },
    )
    return doc
