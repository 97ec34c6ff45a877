"""办结 (conclusion) and 出件 (delivery): the sealed result — and the new license when the item issues one —
made before anything about the conclusion is written, then written in the same transaction as the last
decision; a conclusion that does not commit takes all of it back."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import signing
from core import worklog
from core.settings import Settings
from storage import StorageError
from wallet.applications import progress
from wallet.applications.exceptions import InvalidApplication
from wallet.applications.models import Application, Result
from wallet.applications.records import applicant_number, event, query_code
from wallet.catalog import service as catalog_service
from wallet.errors import StorageUnavailable
from wallet.licenses import documents, serials
from wallet.licenses import service as license_service
from wallet.services import calendar


@dataclass(frozen=True)
class Undo:
    """What a conclusion made before its commit: the new license's blob and serial reservation."""

    license_key: str | None
    reservation: serials.Reservation | None


@dataclass(frozen=True)
class Delivery:
    """The sealed result made before anything about the conclusion is written."""

    pdf_key: str
    pdf_sha256: str
    pdf_size: int
    license_identifier: str | None
    undo: Undo


def deliver(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    app: Application,
    outcome: str,
    reasons: Sequence[str],
    approver_name: str,
    license_data: dict[str, Any] | None,
    now: datetime,
) -> Delivery:
    """Issue the license into this transaction and seal and store the result, before the conclusion is
    written; the caller commits all of it at once (or :func:`undo` takes it back)."""
    identifier, taken_back = None, Undo(license_key=None, reservation=None)
    type_code = app.item.issues_license_type
    if outcome == "approved" and type_code:
        identifier, taken_back = _issue_license(
            session=session, settings=settings, blob_store=blob_store, app=app, type_code=type_code,
            license_data=license_data, now=now,
        )
    try:
        return _seal_result(
            session=session, settings=settings, blob_store=blob_store, app=app, outcome=outcome,
            reasons=reasons, approver_name=approver_name, identifier=identifier, undo=taken_back, now=now,
        )
    except BaseException:
        undo(session=session, blob_store=blob_store, undo=taken_back)
        raise


def _issue_license(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    app: Application,
    type_code: str,
    license_data: dict[str, Any] | None,
    now: datetime,
) -> tuple[str, Undo]:
    """The approved item's license, issued to the applicant into this transaction (not committed)."""
    number = applicant_number(app, settings=settings)
    if number is None:
        raise InvalidApplication(
            "the applicant's number is unknown: the license cannot be issued",
            field="holder_number",
            code="holder_number_required",
        )
    # The application was authorised by its reviews; the platform issues on the department's behalf.
    issuance = license_service.issue(
        session=session,
        settings=settings,
        blob_store=blob_store,
        caller=None,
        type_code=type_code,
        holder_number=number,
        holder_name=app.applicant_name,
        data=_license_data(session, app, type_code, license_data),
        idempotency_key=f"application:{app.serial}",
        now=now,
        commit=False,
    )
    if not issuance.created:
        return issuance.license.identifier, Undo(license_key=None, reservation=None)
    return issuance.license.identifier, Undo(
        license_key=issuance.license.pdf_blob_key, reservation=issuance.reservation
    )


def _license_data(
    session: Session, app: Application, type_code: str, overrides: dict[str, Any] | None
) -> dict[str, Any]:
    """Fields of the new license: same-named form values, then what the approver sets."""
    lt = catalog_service.require_type(session=session, type_code=type_code)
    names = set(lt.field_schema.get("properties", {}))
    data: dict[str, Any] = {}
    for values in app.form_data.values():
        data.update({k: v for k, v in values.items() if k in names})
    data.update(overrides or {})
    return data


def _seal_result(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    app: Application,
    outcome: str,
    reasons: Sequence[str],
    approver_name: str,
    identifier: str | None,
    undo: Undo,
    now: datetime,
) -> Delivery:
    pdf = _render(
        session=session,
        settings=settings,
        app=app,
        outcome=outcome,
        reasons=reasons,
        approver_name=approver_name,
        license_identifier=identifier,
        now=now,
    )
    try:
        info = blob_store.put(pdf, content_type="application/pdf")
    except StorageError as exc:
        raise StorageUnavailable(
            f"the result store is unavailable; the application stays open ({exc})"
        ) from exc
    return Delivery(info.key, hashlib.sha256(pdf).hexdigest(), len(pdf), identifier, undo)


def _render(
    *,
    session: Session,
    settings: Settings,
    app: Application,
    outcome: str,
    reasons: Sequence[str],
    approver_name: str,
    license_identifier: str | None,
    now: datetime,
) -> bytes:
    """The result document (准予 / 不予许可), rendered and sealed with the lead department's seal."""
    item = app.item
    dept = catalog_service.get_department(session=session, credit_code=item.lead_department)
    if dept is None:
        raise InvalidApplication(f"department {item.lead_department} is missing", code="unknown_department")
    title = "准予许可（办结）通知书" if outcome == "approved" else "不予许可决定书"
    fields = [
        ("事项名称", item.name),
        ("事项编码", item.code),
        ("办件流水号", app.serial),
        ("申请人", app.applicant_name),
        ("受理日期", calendar.local_date(app.accepted_at or app.submitted_at).isoformat()),
        ("办结日期", calendar.local_date(now).isoformat()),
        ("办理结果", "准予" if outcome == "approved" else "不予准许"),
    ]
    if reasons:
        fields.append(("理由", "；".join(reasons)))
    if license_identifier:
        fields.append(("电子证照标识", license_identifier))
    spec = signing.DocumentSpec(
        title=title,
        holder_name=app.applicant_name,
        holder_number_masked=app.applicant_number_masked or "—",
        fields=fields,
        issuer_name=dept.name,
        issuer_code=dept.credit_code,
        identifier=app.serial,
        verify_url=progress.page_url(settings, app.serial, query_code(app, settings=settings)),
        issued_on=calendar.local_date(now),
        seal_purpose=dept.seal_purpose,
        extra={"serial": app.serial},
    )
    pdf = signing.render_pdf(spec)
    sealed: bytes = signing.seal_pdf_sync(
        session=session,
        settings=settings,
        pdf=pdf,
        department_name=dept.name,
        department_code=dept.credit_code,
        purpose=dept.seal_purpose,
        approver_name=approver_name,
    )
    return sealed


def undo(*, session: Session, blob_store: Any, undo: Undo, result_key: str | None = None) -> None:
    """A conclusion that did not commit: roll back, give the license's serial back, drop its blobs."""
    session.rollback()
    if undo.reservation is not None:
        serials.release(session=session, reservation=undo.reservation)
    documents.discard_pdf(session=session, blob_store=blob_store, key=undo.license_key)
    if result_key:
        try:
            if session.execute(select(Result.id).where(Result.pdf_blob_key == result_key)).first() is None:
                blob_store.delete(result_key)
        except (SQLAlchemyError, StorageError):
            session.rollback()  # collected by ``onenumber storage gc`` later


def conclude(
    *,
    session: Session,
    app: Application,
    outcome: str,
    delivery: Delivery,
    actor: str,
    role: str,
    now: datetime,
) -> None:
    """办结 and 出件: close every open task, record the delivered result, its events and work-log entry."""
    app.status, app.concluded_at = outcome, now
    if app.accepted_at is not None:
        app.working_days_used = calendar.working_days_between(
            session=session, start=calendar.local_date(app.accepted_at), end=calendar.local_date(now)
        )
    for task in app.tasks:
        if task.open:
            task.open = False
            task.decided_at = task.decided_at or now
    session.add(
        Result(
            application_id=app.id,
            outcome=outcome,
            pdf_blob_key=delivery.pdf_key,
            pdf_sha256=delivery.pdf_sha256,
            pdf_size=delivery.pdf_size,
            license_identifier=delivery.license_identifier,
            delivered_at=now,
        )
    )
    event(session=session, app=app, action="concluded", role=role, at=now, note=outcome)
    event(
        session=session,
        app=app,
        action="delivered",
        role="system",
        at=now,
        note="license issued" if delivery.license_identifier else "",
    )
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.application.conclude",
        object=f"application:{app.serial}",
        details={
            "outcome": outcome,
            "role": role,
            "result_sha256": delivery.pdf_sha256,
            "license": delivery.license_identifier,
            "working_days": app.working_days_used,
        },
    )


def get_result(*, session: Session, app: Application) -> Result | None:
    """The delivered result of an application, or None."""
    return session.execute(select(Result).where(Result.application_id == app.id)).scalar_one_or_none()


def result_by_sha256(*, session: Session, sha256: str) -> tuple[Result, Application] | None:
    """The delivered result whose sealed PDF has this SHA-256, with its application (the verify page)."""
    row = session.execute(
        select(Result, Application)
        .join(Application, Application.id == Result.application_id)
        .where(Result.pdf_sha256 == sha256)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None
