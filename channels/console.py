"""Counter console (综合受理窗口): find a person by number (checked in person), take an application for
them with checked materials (trust B), accept online applications, the department queue with deadlines,
and the review page where the approver approves, seals and previews the sealed result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from channels.hall_apply import _apply_render, parse_answers, read_uploads, requirement_names
from channels.identity import Identity, hall_user
from channels.pages import PageRoute, human_message
from channels.rendering import KIT
from core.clock import utcnow
from core.deps import SessionDep, SettingsDep
from core.runtime import runtime_of
from core.web.i18n import pick
from core.web.pages import settings_of
from core.web.security import declare_no_store
from storage.deps import BlobStoreDep, blob_store_of
from wallet.applications import counter, intake, queue, resolve, review, views
from wallet.applications import service as app_service
from wallet.applications.applicant import walk_in
from wallet.applications.exceptions import MaterialsMissing
from wallet.catalog import service as catalog_service
from wallet.errors import Forbidden, NotFound, WalletError
from wallet.services import service as items_service

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/console")


async def staff_user(request: Request) -> Identity:
    """The signed-in person, who must be counter staff, a clerk or an approver."""
    user = await hall_user(request)
    if not user.is_staff:
        raise Forbidden("this page is for staff", code="staff_only")
    return user


StaffUser = Annotated[Identity, Depends(staff_user)]


def _departments(user: Identity, session: Any) -> list[Any]:
    codes = sorted(user.caller.staff_departments("clerk", "approver"))
    return [catalog_service.get_department(session=session, credit_code=c) for c in codes]


@router.get("/console")
def home(request: Request, user: StaffUser, session: SessionDep) -> Response:
    """The clerk's start page: find a person, accept an online application, open a queue."""
    return KIT.render(
        request,
        "console/home.html",
        departments=[d for d in _departments(user, session) if d is not None],
        counter="counter" in user.caller.roles,
    )


@router.post("/console/person")
def find_person(
    request: Request,
    user: StaffUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Form()] = None,
    number: Annotated[str, Form(max_length=18)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    confirmed: Annotated[str | None, Form()] = None,
) -> Response:
    """The person at the window: only after the clerk confirms the ID document was checked in person."""
    t = KIT.t_of(request)
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    counter.require_counter(user.caller)
    if confirmed != "yes":
        return KIT.render(
            request,
            "console/home.html",
            status_code=422,
            error=t("err_confirm_in_person"),
            departments=[],
            counter=True,
            number=number,
            name=name,
        )
    found = counter.find_holder(session=session, settings=settings, clerk=user.caller, number=number)
    return KIT.render(
        request,
        "console/person.html",
        number=found.number,
        masked=found.masked,
        kind=found.kind,
        name=name.strip(),
        licenses=found.licenses,
        items=found.items,
        pick=pick,
    )


@router.post("/console/prepare")
def prepare(
    request: Request,
    user: StaffUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Form()] = None,
    number: Annotated[str, Form(max_length=18)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    item: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The walk-in applicant's requirements, resolved from their wallet by number."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    row = items_service.require_item(session=session, code=item, field="item")
    applicant = walk_in(user.caller, row, number=number, name=name, settings=settings)
    prep = resolve.prepare(session=session, item=row, applicant=applicant, now=utcnow())
    return _apply_render(
        request,
        row,
        prep,
        action="/console/submit",
        at_counter=True,
        hidden={"number": number, "name": name, "item": row.code},
    )


@router.post("/console/submit")
async def submit(request: Request, user: StaffUser) -> Response:
    """Take the walk-in application: checked originals are stored with trust B, then accepted at once."""
    form = await request.form()
    csrf = form.get("csrf")
    if (refused := KIT.refuse_bad_csrf(request, csrf if isinstance(csrf, str) else None)) is not None:
        return refused
    uploads = await read_uploads(form, limit=settings_of(request).upload_limit_bytes)
    return await run_in_threadpool(_submit_sync, request, user, form, uploads)


def _submit_sync(request: Request, user: Identity, form: FormData, uploads: dict[str, intake.Upload]) -> Response:
    settings = settings_of(request)
    number, name, code = (str(form.get(k) or "") for k in ("number", "name", "item"))
    with runtime_of(request).sessionmaker() as session:
        item = items_service.require_item(session=session, code=code, field="item")
        applicant = walk_in(user.caller, item, number=number, name=name, settings=settings)
        prep = resolve.prepare(session=session, item=item, applicant=applicant, now=utcnow())
        values, commitments, selections = parse_answers(form, prep)
        try:
            done = intake.submit_with_uploads(
                session=session,
                settings=settings,
                blob_store=blob_store_of(request),
                item=item,
                applicant=applicant,
                uploads=uploads,
                actor=user.caller.actor,
                form=values,
                commitments=commitments,
                selections=selections,
                idempotency_key=str(form.get("submit_key") or "") or None,
                channel="counter",
                clerk=user.caller,
            )
        except WalletError as exc:
            session.rollback()
            prep = resolve.prepare(
                session=session,
                item=item,
                applicant=applicant,
                now=utcnow(),
                form=values,
                commitments=commitments,
                selections=selections,
            )
            message = (
                KIT.t_of(request)("err_materials_missing")
                if isinstance(exc, MaterialsMissing)
                else human_message(exc, KIT.lang_of(request))
            )
            return _apply_render(
                request,
                item,
                prep,
                error=message,
                status=exc.status_code,
                action="/console/submit",
                at_counter=True,
                hidden={"number": number, "name": name, "item": item.code},
            )
        serial = done.application.serial
    return KIT.redirect(request, f"/console/applications/{serial}?taken=1")


@router.post("/console/accept")
def accept(
    request: Request,
    user: StaffUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
    serial: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """受理 an online application that needs a visit (originals checked at the window)."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    app = app_service.require_for_counter(session=session, serial=serial.strip(), caller=user.caller)
    app_service.accept(session=session, app=app, actor=user.caller.actor, role="counter", now=utcnow())
    session.commit()
    return KIT.redirect(request, f"/console/applications/{app.serial}")


@router.get("/console/queue/{code}")
def department_queue(
    code: str, request: Request, user: StaffUser, session: SessionDep, view: str = "all"
) -> Response:
    """The department's open applications: green channel first, nearest deadline first."""
    code = code.strip().upper()
    if code not in user.caller.staff_departments("clerk", "approver"):
        raise Forbidden("you see only your own department's queue", code="staff_only")
    dept = catalog_service.get_department(session=session, credit_code=code)
    entries = queue.list_queue(
        session=session,
        department_code=code,
        now=utcnow(),
        view=view if view in ("all", "near_due", "overdue") else "all",
        limit=200,
    )
    return KIT.render(request, "console/queue.html", dept=dept, entries=entries, view=view, pick=pick)


def _visible(session: Any, serial: str, user: Identity) -> Any:
    return app_service.require_visible(session=session, serial=serial, caller=user.caller)


@router.get("/console/applications/{serial}")
def application(
    serial: str, request: Request, user: StaffUser, session: SessionDep, settings: SettingsDep, taken: int = 0
) -> Response:
    """Review page: materials with trust levels, timeline, decision; the sealed result once concluded."""
    app = _visible(session, serial, user)
    out = views.application_out(session=session, settings=settings, app=app, base_url="")
    mine = [t for t in app.tasks if t.department_code in user.caller.staff_departments("clerk", "approver")]
    task = next((t for t in mine if t.open), mine[0] if mine else None)
    approver = task is not None and f"approver:{task.department_code}" in user.caller.roles
    return KIT.render(
        request,
        "console/application.html",
        app=out,
        item=app.item,
        task=task,
        approver=approver,
        taken=bool(taken),
        pick=pick,
        req_names=requirement_names(app.item, KIT.lang_of(request)),
    )


@router.post("/console/applications/{serial}/review")
def decide(
    serial: str,
    request: Request,
    user: StaffUser,
    session: SessionDep,
    settings: SettingsDep,
    blob_store: BlobStoreDep,
    csrf: Annotated[str | None, Form()] = None,
    decision: Annotated[str, Form()] = "",
    reasons: Annotated[str, Form(max_length=2000)] = "",
    supplement_keys: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Approve (an approver's approval concludes and seals), reject with reasons, or ask for a supplement
    listing, at once, the requirements to provide again and any further notes."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    lines = [r.strip() for r in reasons.splitlines() if r.strip()]
    items: list[dict[str, str | None]] = []
    if decision == "supplement":
        items = [{"requirement": k, "note": ""} for k in dict.fromkeys(supplement_keys or [])]
        items += [{"requirement": None, "note": r} for r in lines]
    review.review(
        session=session,
        settings=settings,
        blob_store=blob_store,
        caller=user.caller,
        serial=serial,
        decision=decision,
        reasons=lines if decision != "supplement" else [],
        items=items,
    )
    return KIT.redirect(request, f"/console/applications/{serial}")


@router.get("/console/applications/{serial}/result.pdf")
def result_pdf(
    serial: str, request: Request, user: StaffUser, session: SessionDep, blob_store: BlobStoreDep
) -> Response:
    """The sealed result, inline for the preview."""
    app = _visible(session, serial, user)
    result = review.get_result(session=session, app=app)
    if result is None:
        raise NotFound("this application has no result yet", field="serial", code="result_not_ready")
    return Response(
        blob_store.get(result.pdf_blob_key),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{app.serial}.pdf"',
            "Cache-Control": "no-store",
            "Content-Security-Policy": "frame-ancestors 'self'",
        },
    )
