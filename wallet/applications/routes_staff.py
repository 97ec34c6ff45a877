"""Staff routes: counter acceptance (一窗受理), reviews, department queues, the reform dashboard."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from core.deps import SessionDep, SettingsDep
from core.inputs import IdempotencyKey
from storage.deps import BlobStoreDep
from wallet.applications import acceptance, access, dashboard, queue, review, submission, views
from wallet.applications.applicant import walk_in
from wallet.applications.dependencies import NowDep
from wallet.applications.exceptions import InvalidApplication, NotStaff, WrongDepartment
from wallet.applications.schemas import ApplicationOut, CounterSubmitIn, QueueEntryOut, ReviewIn
from wallet.dependencies import CurrentCaller, StaffCaller
from wallet.services import service as catalog

router = APIRouter(tags=["applications (staff)"])


@router.post("/api/counter/applications", response_model=ApplicationOut, status_code=201)
def counter_submit(
    body: CounterSubmitIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: CurrentCaller,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut:
    """A counter clerk takes a walk-in application by the applicant's number (any centre, any item)."""
    item = catalog.require_item(session=session, code=body.item, field="item")
    applicant = walk_in(caller, item, number=body.number, name=body.name, settings=settings)
    done = submission.submit(
        session=session,
        settings=settings,
        item=item,
        applicant=applicant,
        form=body.form,
        commitments=body.commitments,
        selections=dict(body.selections),
        idempotency_key=idempotency_key,
        green_channel=body.green_channel,
        channel="counter",
        centre_code=body.centre,
        clerk=caller,
        appointment_id=body.appointment_id,
        now=now,
    )
    session.commit()
    if not done.created:
        response.status_code = 200
    return views.application_out(
        session=session, settings=settings, app=done.application, with_code=True, base_url=settings.issuer
    )


@router.post("/api/applications/{serial}/accept", response_model=ApplicationOut)
def accept(
    serial: str,
    session: SessionDep,
    settings: SettingsDep,
    caller: StaffCaller,
    now: NowDep,
    centre: str | None = None,
) -> ApplicationOut:
    """A counter clerk accepts an online application that needs a visit (originals checked: trust B)."""
    app = access.require_for_counter(session=session, serial=serial, caller=caller)
    acceptance.accept(
        session=session, app=app, actor=caller.actor, role="counter", now=now, centre_code=centre
    )
    session.commit()
    return views.application_out(session=session, settings=settings, app=app, base_url=settings.issuer)


@router.post("/api/applications/{serial}/review", response_model=ApplicationOut)
def review_application(
    serial: str,
    body: ReviewIn,
    session: SessionDep,
    settings: SettingsDep,
    blob_store: BlobStoreDep,
    caller: StaffCaller,
    now: NowDep,
) -> ApplicationOut:
    """Approve, reject with reasons, or request a supplement once; the last approval delivers the result."""
    app = review.review(
        session=session,
        settings=settings,
        blob_store=blob_store,
        caller=caller,
        serial=serial,
        decision=body.decision,
        reasons=body.reasons,
        items=body.items,
        license_data=body.license_data,
        now=now,
    )
    return views.application_out(session=session, settings=settings, app=app, base_url=settings.issuer)


@router.get("/api/departments/{code}/queue", response_model=list[QueueEntryOut])
def department_queue(
    code: str,
    session: SessionDep,
    caller: CurrentCaller,
    now: NowDep,
    view: Annotated[str, Query(pattern="^(all|near_due|overdue)$")] = "all",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: str | None = None,
) -> list[QueueEntryOut]:
    """The department's open applications: green channel first, nearest deadline first; near-due, overdue."""
    code = code.strip().upper()
    if not caller.is_person or not caller.staff_departments("clerk", "approver"):
        raise NotStaff("the queue is for clerks and approvers")
    if code not in caller.staff_departments("clerk", "approver"):
        raise WrongDepartment("you see only your own department's queue", field="code")
    cursor = _parse_cursor(after)
    entries = queue.list_queue(
        session=session, department_code=code, now=now, view=view, limit=limit, after=cursor
    )
    return [
        QueueEntryOut(
            serial=e.task.application.serial,
            item=e.task.application.item.code,
            item_name=e.task.application.item.name,
            status=e.task.application.status,
            task_status=e.task.status,
            deadline=e.task.deadline,
            days_left=e.days_left,
            overdue=e.overdue,
            near_due=0 <= e.days_left <= 1,
            green_channel=e.task.priority == 0,
            agent=e.task.application.acting_role == "agent",
            cursor=f"{e.task.priority}:{e.task.deadline.isoformat()}:{e.task.id}",
        )
        for e in entries
    ]


def _parse_cursor(after: str | None) -> tuple[int, date, int] | None:
    if not after:
        return None
    try:
        p, d, i = after.split(":")
        cursor = int(p), date.fromisoformat(d), int(i)
        if not all(-(2**31) <= n < 2**31 for n in (cursor[0], cursor[2])):  # INTEGER columns; else a 500
            raise ValueError("out of range")
        return cursor
    except ValueError as exc:
        raise InvalidApplication(
            "after is the cursor of the last entry seen", field="after", code="invalid_cursor"
        ) from exc


@router.get("/api/dashboard/applications")
def reform_dashboard(session: SessionDep, caller: CurrentCaller, now: NowDep) -> dict[str, Any]:
    """The reform dashboard: applications, working days vs limits, reuse, commitments, visits, overdue."""
    if not (caller.is_admin or (caller.is_person and caller.staff_departments("clerk", "approver"))):
        raise NotStaff("the dashboard is for administrators and department staff")
    return dashboard.compute(session=session, now=now)
