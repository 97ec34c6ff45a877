"""审核 (review): a clerk's or approver's decision on their department's task — approve, reject, or ask once
for a supplement (补正); the last approval, or a rejection, concludes (办结) and delivers (出件)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from core.settings import Settings
from wallet.applications import conclusion
from wallet.applications.access import get_by_serial
from wallet.applications.conclusion import Delivery
from wallet.applications.conclusion import get_result as get_result  # re-exported: the channels read it here
from wallet.applications.exceptions import (
    ApplicationNotFound,
    InvalidApplication,
    InvalidState,
    NotStaff,
    SupplementAlreadyRequested,
)
from wallet.applications.models import Application, ApplicationTask, Review
from wallet.applications.records import event
from wallet.applications.supplement import check_items
from wallet.applications.supplement import pending_supplement as pending_supplement  # re-exported, as get_result
from wallet.applications.supplement import supplement as supplement  # re-exported, as get_result
from wallet.dependencies import Caller
from wallet.errors import DatabaseUnavailable

DECISIONS = ("approve", "reject", "supplement")


def staff_task(*, session: Session, serial: str, caller: Caller) -> ApplicationTask:
    """The caller's department's task on this application.

    Staff of other departments get the same 404 as for a serial that does not exist (issue 8: no
    existence leak through different error codes)."""
    departments = caller.staff_departments("clerk", "approver") if caller.is_person else frozenset()
    if not departments:
        raise NotStaff("reviewing needs a clerk:<department> or approver:<department> role")
    app = get_by_serial(session=session, serial=serial)
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
        if "\x00" in reason:  # PostgreSQL cannot store it: refused on both engines, before anything is written
            raise InvalidApplication(
                f"第 {index + 1} 条理由含有空字符 (reason {index + 1} contains a NUL character)",
                field=f"reasons[{index}]",
                code="invalid_text",
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
    reasons, clean_items = _check_decision(
        app=app, task=task, role=role, decision=decision, reasons=reasons, items=items
    )
    delivery = None
    if _concludes(app=app, task=task, role=role, decision=decision):
        delivery = conclusion.deliver(
            session=session,
            settings=settings,
            blob_store=blob_store,
            app=app,
            outcome="approved" if decision == "approve" else "rejected",
            reasons=reasons,
            approver_name=caller.name or role,
            license_data=license_data,
            now=now,
        )
    try:
        _record_review(
            session=session, app=app, task=task, caller=caller, role=role, decision=decision,
            reasons=reasons, items=clean_items, delivery=delivery, now=now,
        )
        session.commit()
    except BaseException as exc:
        _undo_delivery(session=session, blob_store=blob_store, delivery=delivery, exc=exc)
        raise
    return app


def _undo_delivery(*, session: Session, blob_store: Any, delivery: Delivery | None, exc: BaseException) -> None:
    """After a failed commit: what the conclusion issued and stored is undone; a database failure is told so.

    Called from the ``except`` block; the caller re-raises ``exc`` when this returns."""
    if delivery is None:
        return
    conclusion.undo(session=session, blob_store=blob_store, undo=delivery.undo, result_key=delivery.pdf_key)
    if isinstance(exc, SQLAlchemyError) and not isinstance(exc, IntegrityError):
        raise DatabaseUnavailable(
            "the database failed while concluding; nothing was issued or decided, try again later"
        ) from exc


def _check_decision(
    *,
    app: Application,
    task: ApplicationTask,
    role: str,
    decision: str,
    reasons: Sequence[str],
    items: Sequence[dict[str, Any]],
) -> tuple[list[str], list[dict[str, Any]]]:
    """Everything about the decision that could fail later, checked before anything is issued or written:
    the reasons as they will be stored and the supplement request's entries (empty for other decisions)."""
    if decision not in DECISIONS:
        raise InvalidApplication(f"decision is one of {DECISIONS}", field="decision", code="invalid_decision")
    if app.status != "in_review" or not task.open or task.status not in ("pending", "reviewed"):
        raise InvalidState(
            f"application {app.serial} is {app.status}; your department's task is {task.status}",
            field="serial",
        )
    clean_reasons = _check_reasons(reasons)
    if decision == "reject":
        if not role.startswith("approver:"):
            raise NotStaff("rejecting needs the approver role of the department", field="decision")
        if not clean_reasons:
            raise InvalidApplication(
                "a rejection states its reasons", field="reasons", code="reasons_required"
            )
    if decision != "supplement":
        return clean_reasons, []
    clean_items = check_items(app, items)
    if any(t.supplement_requested for t in app.tasks):
        raise SupplementAlreadyRequested(
            "a supplement was already requested for this application; "
            "everything needed is asked for once",
            field="decision",
        )
    return clean_reasons, clean_items


def _concludes(*, app: Application, task: ApplicationTask, role: str, decision: str) -> bool:
    """A rejection concludes; so does an approver's approval when every other department has approved."""
    return decision == "reject" or (
        decision == "approve"
        and role.startswith("approver:")
        and all(t.status == "approved" for t in app.tasks if t.id != task.id)
    )


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
    session.add(
        Review(
            task_id=task.id,
            actor=caller.actor,
            role=role,
            decision=decision,
            reasons=list(reasons),
            items=list(items) if decision == "supplement" else [],
            at=now,
        )
    )
    _apply_decision(session=session, app=app, task=task, role=role, decision=decision, reasons=reasons,
                    items=items, now=now)
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
        conclusion.conclude(
            session=session,
            app=app,
            outcome="approved" if decision == "approve" else "rejected",
            delivery=delivery,
            actor=caller.actor,
            role=role,
            now=now,
        )


def _apply_decision(
    *,
    session: Session,
    app: Application,
    task: ApplicationTask,
    role: str,
    decision: str,
    reasons: Sequence[str],
    items: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """The task's (and for a supplement request the application's) new state, and its timeline step."""
    if decision == "supplement":
        task.status, task.supplement_requested = "supplement", True
        app.status = "supplement"
        note = "；".join(i["note"] or i["requirement"] for i in items)
        event(
            session=session,
            app=app,
            action="supplement_requested",
            role=role,
            at=now,
            department_code=task.department_code,
            note=note,
        )
    elif decision == "approve" and not role.startswith("approver:"):
        task.status = "reviewed"
        event(
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
        event(
            session=session,
            app=app,
            action=task.status,
            role=role,
            at=now,
            department_code=task.department_code,
            note="；".join(reasons),
        )
