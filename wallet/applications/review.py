"""Review (审核), supplement once (一次性补正), conclude (办结) and deliver (一口出件) a sealed result."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core import worklog
from core.db import utcnow
from core.settings import Settings
from wallet.applications import forms, progress, resolve
from wallet.applications import service as app_service
from wallet.applications.applicant import Applicant
from wallet.applications.exceptions import (
    ApplicationNotFound,
    InvalidApplication,
    InvalidState,
    MaterialsMissing,
    NotStaff,
    SupplementAlreadyRequested,
    UnknownRequirement,
)
from wallet.applications.models import Application, ApplicationMaterial, ApplicationTask, Result, Review
from wallet.catalog import service as catalog_service
from wallet.dependencies import Caller
from wallet.errors import DatabaseUnavailable, StorageUnavailable
from wallet.licenses import serials
from wallet.licenses import service as license_service
from wallet.services import calendar
from wallet.services import service as catalog

DECISIONS = ("approve", "reject", "supplement")


def staff_task(*, session: Session, serial: str, caller: Caller) -> ApplicationTask:
    """The caller's department's task on this application.

    Staff of other departments get the same 404 as for a serial that does not exist (issue 8: no
    existence leak through different error codes)."""
    departments = caller.staff_departments("clerk", "approver") if caller.is_person else frozenset()
    if not departments:
        raise NotStaff("reviewing needs a clerk:<department> or approver:<department> role")
    app = app_service.get_by_serial(session=session, serial=serial)
    if app is None:
        raise ApplicationNotFound()
    mine = [t for t in app.tasks if t.department_code in departments]
    if not mine:
        raise ApplicationNotFound()
    return next((t for t in mine if t.open), mine[0])


def _role(caller: Caller, task: ApplicationTask) -> str:
    if f"approver:{task.department_code}" in caller.roles:
        return f"approver:{task.department_code}"
    return f"clerk:{task.department_code}"


@dataclass(frozen=True)
class Delivery:
    """The sealed result made before anything about the conclusion is written."""

    pdf_key: str
    pdf_sha256: str
    pdf_size: int
    license_identifier: str | None
    undo: Undo


@dataclass(frozen=True)
class Undo:
    """What a conclusion made before its commit: the new license's blob and serial reservation."""

    license_key: str | None
    reservation: serials.Reservation | None


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
    import signing

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
        verify_url=progress.page_url(settings, app.serial, app_service.query_code(app, settings=settings)),
        issued_on=calendar.local_date(now),
        seal_purpose=dept.seal_purpose,
        extra={"serial": app.serial},
    )
    pdf = signing.render_pdf(spec)
    sealed: bytes = signing.seal_pdf_sync(
        session=session,
        pdf=pdf,
        department_name=dept.name,
        department_code=dept.credit_code,
        purpose=dept.seal_purpose,
        approver_name=approver_name,
    )
    return sealed


def _deliver(
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
    written; the caller commits all of it at once (or :func:`_undo` takes it back)."""

    identifier = None
    license_key = None
    reservation = None
    type_code = app.item.issues_license_type
    if outcome == "approved" and type_code:
        number = app_service.applicant_number(app, settings=settings)
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
        identifier = issuance.license.identifier
        if issuance.created:
            license_key, reservation = issuance.license.pdf_blob_key, issuance.reservation
    undo = Undo(license_key=license_key, reservation=reservation)
    try:
        return _seal_result(
            session=session, settings=settings, blob_store=blob_store, app=app, outcome=outcome,
            reasons=reasons, approver_name=approver_name, identifier=identifier, undo=undo, now=now,
        )
    except BaseException:
        _undo(session=session, blob_store=blob_store, undo=undo)
        raise


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
    from storage import StorageError

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


def _undo(*, session: Session, blob_store: Any, undo: Undo, result_key: str | None = None) -> None:
    """A conclusion that did not commit: roll back, give the license's serial back, drop its blobs."""
    from storage import StorageError

    session.rollback()
    if undo.reservation is not None:
        serials.release(session=session, reservation=undo.reservation)
    license_service.discard_pdf(session=session, blob_store=blob_store, key=undo.license_key)
    if result_key:
        try:
            if session.execute(select(Result.id).where(Result.pdf_blob_key == result_key)).first() is None:
                blob_store.delete(result_key)
        except (SQLAlchemyError, StorageError):
            session.rollback()  # collected by ``onenumber storage gc`` later


def _conclude(
    *,
    session: Session,
    app: Application,
    outcome: str,
    delivery: Delivery,
    actor: str,
    role: str,
    now: datetime,
) -> None:
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
    app_service.event(session=session, app=app, action="concluded", role=role, at=now, note=outcome)
    app_service.event(
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


def _check_items(app: Application, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not items:
        raise InvalidApplication(
            "a supplement request lists everything that is needed, at once",
            field="items",
            code="supplement_items_required",
        )
    clean = []
    for i, entry in enumerate(items):
        key = entry.get("requirement")
        note = str(entry.get("note") or "").strip()
        if key is not None and catalog.get_requirement(item=app.item, key=str(key)) is None:
            raise UnknownRequirement(
                f"{app.item.name} has no requirement {key!r}", field=f"items[{i}].requirement"
            )
        if key is None and not note:
            raise InvalidApplication(
                "each supplement entry names a requirement or says what is needed",
                field=f"items[{i}]",
                code="supplement_items_required",
            )
        clean.append({"requirement": key, "note": note})
    return clean


MAX_REASON_CHARS = 500
MAX_REASONS = 20


def _check_reasons(reasons: Sequence[str]) -> list[str]:
    """Reasons as they will be stored, sealed and logged — checked before anything is issued or written.

    A decision that would fail later (a reason too long for the sealed result, a clear ID number that the
    work log refuses) must fail here, before the license of a concluding approval is issued.
    """
    clean = [r.strip() for r in reasons if r and r.strip()]
    if len(clean) > MAX_REASONS:
        raise InvalidApplication(
            f"理由最多 {MAX_REASONS} 条 (at most {MAX_REASONS} reasons)", field="reasons", code="too_many_reasons"
        )
    for index, reason in enumerate(clean):
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidApplication(
                f"第 {index + 1} 条理由超过 {MAX_REASON_CHARS} 字 (reason {index + 1} is over {MAX_REASON_CHARS} "
                "characters)",
                field=f"reasons[{index}]",
                code="reason_too_long",
            )
        if worklog.contains_id_number(reason):
            raise InvalidApplication(
                f"第 {index + 1} 条理由含有身份证号码，请删去 (reason {index + 1} contains an ID number; remove it)",
                field=f"reasons[{index}]",
                code="id_number_in_text",
            )
    return clean


def review(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    caller: Caller,
    serial: str,
    decision: str,
    reasons: Sequence[str] = (),
    items: Sequence[dict[str, Any]] = (),
    license_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Application:
    """A clerk's or approver's decision; the last approval concludes and delivers. Commits."""
    now = now or utcnow()
    task = staff_task(session=session, serial=serial, caller=caller)
    app = task.application
    role = _role(caller, task)
    if decision not in DECISIONS:
        raise InvalidApplication(f"decision is one of {DECISIONS}", field="decision", code="invalid_decision")
    if app.status != "in_review" or not task.open or task.status not in ("pending", "reviewed"):
        raise InvalidState(
            f"application {app.serial} is {app.status}; your department's task is {task.status}",
            field="serial",
        )
    reasons = _check_reasons(reasons)
    is_approver = role.startswith("approver:")
    if decision == "reject":
        if not is_approver:
            raise NotStaff("rejecting needs the approver role of the department", field="decision")
        if not reasons:
            raise InvalidApplication(
                "a rejection states its reasons", field="reasons", code="reasons_required"
            )
    if decision == "supplement":
        clean_items = _check_items(app, items)
        if any(t.supplement_requested for t in app.tasks):
            raise SupplementAlreadyRequested(
                "a supplement was already requested for this application; "
                "everything needed is asked for once",
                field="decision",
            )
    concludes = decision == "reject" or (
        decision == "approve"
        and is_approver
        and all(t.status == "approved" for t in app.tasks if t.id != task.id)
    )
    delivery = None
    if concludes:
        outcome = "approved" if decision == "approve" else "rejected"
        delivery = _deliver(
            session=session,
            settings=settings,
            blob_store=blob_store,
            app=app,
            outcome=outcome,
            reasons=reasons,
            approver_name=caller.name or role,
            license_data=license_data,
            now=now,
        )
    try:
        _record_review(
            session=session, app=app, task=task, caller=caller, role=role, decision=decision,
            reasons=reasons, items=clean_items if decision == "supplement" else [], delivery=delivery, now=now,
        )
        session.commit()
    except BaseException as exc:
        if delivery is None:
            raise
        _undo(session=session, blob_store=blob_store, undo=delivery.undo, result_key=delivery.pdf_key)
        if isinstance(exc, SQLAlchemyError) and not isinstance(exc, IntegrityError):
            raise DatabaseUnavailable(
                "the database failed while concluding; nothing was issued or decided, try again later"
            ) from exc
        raise
    return app


def _record_review(
    *,
    session: Session,
    app: Application,
    task: ApplicationTask,
    caller: Caller,
    role: str,
    decision: str,
    reasons: Sequence[str],
    items: Sequence[dict[str, Any]],
    delivery: Delivery | None,
    now: datetime,
) -> None:
    """The review, the task's and application's new state, events and work log (and the conclusion)."""
    is_approver = role.startswith("approver:")
    clean_items = items
    session.add(
        Review(
            task_id=task.id,
            actor=caller.actor,
            role=role,
            decision=decision,
            reasons=list(reasons),
            items=list(clean_items) if decision == "supplement" else [],
            at=now,
        )
    )
    if decision == "supplement":
        task.status, task.supplement_requested = "supplement", True
        app.status = "supplement"
        note = "；".join(i["note"] or i["requirement"] for i in clean_items)
        app_service.event(
            session=session,
            app=app,
            action="supplement_requested",
            role=role,
            at=now,
            department_code=task.department_code,
            note=note,
        )
    elif decision == "approve" and not is_approver:
        task.status = "reviewed"
        app_service.event(
            session=session,
            app=app,
            action="reviewed",
            role=role,
            at=now,
            department_code=task.department_code,
        )
    else:
        task.status = "approved" if decision == "approve" else "rejected"
        task.open, task.decided_at = False, now
        app_service.event(
            session=session,
            app=app,
            action=task.status,
            role=role,
            at=now,
            department_code=task.department_code,
            note="；".join(reasons),
        )
    worklog.append(
        session=session,
        actor=caller.actor,
        action=f"wallet.application.{decision}",
        object=f"application:{app.serial}",
        details={
            "role": role,
            "department": task.department_code,
            "reasons": list(reasons),
        },
    )
    if delivery is not None:
        _conclude(
            session=session,
            app=app,
            outcome="approved" if decision == "approve" else "rejected",
            delivery=delivery,
            actor=caller.actor,
            role=role,
            now=now,
        )


def pending_supplement(*, session: Session, app: Application) -> list[dict[str, Any]]:
    """What the departments asked for in their supplement request (empty when none is pending)."""
    if app.status != "supplement":
        return []
    task_ids = [t.id for t in app.tasks if t.status == "supplement"]
    rows = (
        session.execute(
            select(Review)
            .where(Review.task_id.in_(task_ids), Review.decision == "supplement")
            .order_by(Review.id)
        )
        .scalars()
        .all()
    )
    return [entry for r in rows for entry in r.items]


def supplement(
    *,
    session: Session,
    caller: Caller,
    serial: str,
    form: dict[str, dict[str, Any]] | None = None,
    commitments: Sequence[str] = (),
    selections: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Application:
    """The applicant answers the supplement request; only what it listed is asked for. Commits."""
    now = now or utcnow()
    app = app_service.require_for_applicant(session=session, serial=serial, caller=caller)
    if app.status != "supplement":
        raise InvalidState(
            f"application {app.serial} is {app.status}; no supplement is requested", field="serial"
        )
    asked = pending_supplement(session=session, app=app)
    keys = [e["requirement"] for e in asked if e.get("requirement")]
    applicant = Applicant(
        index=app.applicant_index,
        kind=app.applicant_kind,
        name=app.applicant_name,
        submitter_sub=app.submitter_sub,
        submitter_index=app.submitter_index,
        person_name=caller.name or "",
        acting_role=app.acting_role,
    )
    used = frozenset(m.document_id for m in app.materials if m.document_id is not None)
    prep = resolve.prepare(
        session=session,
        item=app.item,
        applicant=applicant,
        now=now,
        form=form,
        commitments=commitments,
        selections=selections,
        only=keys,
        exclude_documents=used,
    )
    if prep.missing:
        raise MaterialsMissing(
            [
                {"key": r.key, "name": r.name, "action": r.action or "", "reason": r.reason or ""}
                for r in prep.missing
            ]
        )
    values = forms.validate_all(prep=prep, given=form or {})
    app.form_data = {**app.form_data, **values}
    app_service.record_materials(session=session, app=app, prep=prep, round=1, form_values=values, at=now)
    requested_at = max(
        (e.at for e in app_service.timeline(session=session, app=app) if e.action == "supplement_requested"),
        default=now,
    )
    paused = calendar.working_days_between(
        session=session, start=calendar.local_date(requested_at), end=calendar.local_date(now)
    )
    if app.deadline is not None and paused > 0:
        # Time spent waiting for the applicant does not count against the department (补正期间不计入).
        app.deadline = calendar.add_working_days(session=session, start=app.deadline, days=paused)
    for task in app.tasks:
        if task.open:
            task.deadline = app.deadline or task.deadline
        if task.status == "supplement":
            task.status = "pending"
    app.status = "in_review"
    app_service.event(session=session, app=app, action="supplemented", role=app.acting_role, at=now)
    worklog.append(
        session=session,
        actor=caller.actor,
        action="wallet.application.supplement",
        object=f"application:{app.serial}",
        details={"requirements": keys, "paused_days": paused},
    )
    session.commit()
    return app


def get_result(*, session: Session, app: Application) -> Result | None:
    """The delivered result of an application, or None."""
    return session.execute(select(Result).where(Result.application_id == app.id)).scalar_one_or_none()


def materials_of(*, session: Session, app: Application) -> Sequence[ApplicationMaterial]:
    """How each requirement was fulfilled (both rounds)."""
    return (
        session.execute(
            select(ApplicationMaterial)
            .where(ApplicationMaterial.application_id == app.id)
            .order_by(ApplicationMaterial.id)
        )
        .scalars()
        .all()
    )
