"""The sealed original of a license version: its GB/T 36904 identifier, a :class:`signing.DocumentSpec`
rendered and sealed by the issuing department, the PDF kept in the blob store — and dropped again when the
issuance that made it fails."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import signing
from core.settings import Settings
from identifiers import license_id
from storage import StorageError
from wallet.catalog import fieldschema
from wallet.catalog.models import LicenseType
from wallet.errors import StorageUnavailable
from wallet.licenses.models import License


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def render_and_seal(
    *,
    session: Session,
    settings: Settings,
    license_type: LicenseType,
    identifier: str,
    holder_name: str,
    holder_number_masked: str,
    data: dict[str, Any],
    valid_from: date,
    valid_until: date | None,
    verify_url: str,
) -> bytes:
    """Render the license as a PDF and seal it with the issuing department's seal (signing/)."""
    labels = fieldschema.labels(license_type.field_schema)
    fields = [(labels.get(name, name), _display(value)) for name, value in data.items()]
    issuer = license_type.issuer
    spec = signing.DocumentSpec(
        title=license_type.name,
        subtitle=license_type.name_en or None,
        holder_name=holder_name,
        holder_number_masked=holder_number_masked,
        fields=fields,
        issuer_name=issuer.name,
        issuer_code=issuer.credit_code,
        identifier=identifier,
        verify_url=verify_url,
        issued_on=valid_from,
        valid_until=valid_until,
        seal_purpose=issuer.seal_purpose,
    )
    pdf = signing.render_pdf(spec)
    sealed: bytes = signing.seal_pdf_sync(
        session=session,
        settings=settings,
        pdf=pdf,
        department_name=issuer.name,
        department_code=issuer.credit_code,
        purpose=issuer.seal_purpose,
    )
    return sealed


def make_identifier(*, license_type: LicenseType, serial: str, version: int) -> str:
    """GB/T 36904 identifier of this license version."""
    return str(license_id.make(license_type.type_code, license_type.issuer.credit_code, serial, version))


def store_pdf(*, blob_store: Any, pdf: bytes) -> Any:
    """Put the sealed PDF in the blob store; 503 with a clear message when storage is down."""
    try:
        return blob_store.put(pdf, content_type="application/pdf")
    except StorageError as exc:
        raise StorageUnavailable(
            f"the license store is unavailable, nothing was issued; try again later ({exc})"
        ) from exc


def seal_and_store(*, session: Session, settings: Settings, blob_store: Any, lic: License) -> None:
    """Give ``lic`` its identifier, render and seal its PDF, put it in the blob store (no DB writes)."""
    lic.identifier = make_identifier(license_type=lic.license_type, serial=lic.serial, version=lic.version)
    try:
        pdf = render_and_seal(
            session=session,
            settings=settings,
            license_type=lic.license_type,
            identifier=lic.identifier,
            holder_name=lic.holder_name,
            holder_number_masked=lic.holder_number_masked,
            data=lic.data,
            valid_from=lic.valid_from,
            valid_until=lic.valid_until,
            verify_url=f"{settings.issuer.rstrip('/')}/verify?id={lic.identifier}",
        )
        info = store_pdf(blob_store=blob_store, pdf=pdf)
    except BaseException:
        session.rollback()  # seal certificates flushed by signing/ go with the failed issuance
        raise
    lic.pdf_blob_key, lic.pdf_size = info.key, len(pdf)
    lic.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


def discard_pdf(*, session: Session, blob_store: Any, key: str | None) -> None:
    """After a failed issuance: delete the PDF it stored unless a license refers to it (best effort:
    with the database or the store away, ``onenumber storage gc`` collects it later)."""
    if not key:
        return
    try:
        session.rollback()
        if session.execute(select(License.id).where(License.pdf_blob_key == key).limit(1)).first() is None:
            blob_store.delete(key)
    except (SQLAlchemyError, StorageError):
        session.rollback()
