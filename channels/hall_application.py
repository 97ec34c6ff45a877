"""Hall pages of one application: materials, timeline, result and rating; answering a supplement request
(一次性补正) with exactly what it lists; booking, showing and cancelling a counter appointment (预约办理)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from channels.hall_apply import parse_answers, requirement_names
from channels.identity import Identity, hall_user
from channels.pages import PageRoute, human_message
from channels.rendering import lang_of, redirect, refuse_bad_csrf, render, settings_of, t_of
from core.db import DbInt, utcnow
from core.deps import SessionDep
from core.web.i18n import pick
from core.web.security import declare_no_store
from wallet.applications import appointments, feedback, materials, progress, resolve, review, views
from wallet.applications import service as app_service
from wallet.applications.applicant import from_caller
from wallet.applications.exceptions import ApplicationNotFound, MaterialsMissing
from wallet.errors import Forbidden, NotFound, WalletError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/hall")
HallUser = Annotated[Identity, Depends(hall_user)]
SLOT_DAYS = 14  # how far ahead the booking form offers slots
NOTICES = ("submitted", "supplemented", "booked", "cancelled")


def _applicant(user: Identity, app: Any) -> Any:
    """The applicant as the signed-in identity acts now; it must be the application's own applicant."""
    applicant = from_caller(user.caller, app.item)
    if applicant.index != app.applicant_index:
        raise Forbidden("switch to the identity this application was made for", code="switch_identity_for_application")
    return applicant


def supplement_preparation(session: Any, user: Identity, app: Any, **answers: Any) -> Any:
    """The requirements the supplement request lists, resolved as the service will check them."""
    asked = review.pending_supplement(session=session, app=app)
    keys = [str(e["requirement"]) for e in asked if e.get("requirement")]
    used = frozenset(m.document_id for m in app.materials if m.document_id is not None)
    return resolve.prepare(
        session=session,
        item=app.item,
        applicant=_applicant(user, app),
        now=utcnow(),
        only=keys,
        exclude_documents=used,
        **answers,
    )


def application_page(
    request: Request,
    session: Any,
    user: Identity,
    app: Any,
    *,
    error: str | None = None,
    status: int = 200,
    prep: Any = None,
) -> Response:
    """Render one application for its applicant (with the supplement form and the booking, when relevant)."""
    settings = settings_of(request)
    out = views.application_out(session=session, settings=settings, app=app, base_url="")
    if prep is None and app.status == "supplement":
        prep = supplement_preparation(session, user, app)
    centres = appointments.list_centres(session=session) if app.item.needs_visit else []
    centre = None
    slots: list[Any] = []
    wanted = request.query_params.get("centre")
    if wanted and centres and out.appointment is None:
        centre = appointments.get_centre(session=session, code=wanted)
        if centre is not None:
            now = utcnow()
            slots = [
                s
                for s in appointments.list_slots(session=session, centre=centre, start=now, end=now + timedelta(days=SLOT_DAYS))
                if s.booked < s.capacity
            ]
    notice = next((n for n in NOTICES if request.query_params.get(n)), None)
    return render(
        request,
        "hall/application.html",
        status_code=status,
        app=out,
        item=app.item,
        rating=feedback.get_rating(session=session, app=app),
        notice=notice,
        error=error,
        prep=prep,
        asked=review.pending_supplement(session=session, app=app),
        centres=centres,
        centre=centre,
        slots=slots,
        pick=pick,
        req_names=requirement_names(app.item, lang_of(request)),
    )


@router.get("/hall/progress")
def progress_page(
    request: Request, session: SessionDep, serial: str | None = None, code: str | None = None
) -> Response:
    """办件进度查询, public: the progress and result of an application by serial number and query code (the
    page the QR code of a sealed result opens); without both, the form asking for them."""
    settings = settings_of(request)
    if not serial or not code:
        return render(request, "hall/progress.html", status=None, serial=serial)
    try:
        status = progress.lookup(session=session, settings=settings, serial=serial, code=code)
    except ApplicationNotFound:
        error = t_of(request)("progress_not_found")
        return render(request, "hall/progress.html", status_code=404, status=None, serial=serial, error=error)
    return render(request, "hall/progress.html", status=status, serial=serial)


@router.get("/hall/applications/{serial}")
def application(serial: str, request: Request, user: HallUser, session: SessionDep) -> Response:
    """One application: materials, timeline, supplement request, appointment, result and rating."""
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller)
    return application_page(request, session, user, app)


@router.post("/hall/applications/{serial}/supplement")
async def supplement(serial: str, request: Request, user: HallUser) -> Response:
    """补正: upload and fill exactly what the request listed, then hand the application back for review."""
    form = await request.form()
    csrf = form.get("csrf")
    if (refused := refuse_bad_csrf(request, csrf if isinstance(csrf, str) else None)) is not None:
        return refused
    limit = settings_of(request).upload_limit_bytes
    uploads: dict[str, tuple[bytes, str, str]] = {}
    for name, value in form.multi_items():
        if name.startswith("doc__") and isinstance(value, UploadFile) and value.filename:
            data = await value.read(limit + 1)  # never buffer more than one byte past the limit
            uploads[name.removeprefix("doc__")] = (data, value.content_type or "", value.filename)
    return await run_in_threadpool(_supplement_sync, request, user, serial, form, uploads)


def _supplement_sync(
    request: Request, user: Identity, serial: str, form: FormData, uploads: dict[str, tuple[bytes, str, str]]
) -> Response:
    settings = settings_of(request)
    with request.app.state.sessionmaker() as session:
        app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller)
        prep = supplement_preparation(session, user, app)
        values, commitments, selections = parse_answers(form, prep)
        asked_keys = {r.key for r in prep.requirements}
        try:
            for key, (data, content_type, filename) in uploads.items():
                if key not in asked_keys:
                    continue  # only what the request listed is taken
                req = materials.document_requirement(item=app.item, key=key)
                doc = materials.upload(
                    session=session,
                    blob_store=request.app.state.blob_store,
                    item=app.item,
                    applicant=_applicant(user, app),
                    requirement=key,
                    data=data,
                    content_type=content_type,
                    filename=filename,
                    actor=user.caller.actor,
                    limit=min(req.max_bytes or settings.upload_limit_bytes, settings.upload_limit_bytes),
                )
                selections[key] = doc.id
            session.flush()
            review.supplement(
                session=session,
                caller=user.caller,
                serial=serial,
                form=values,
                commitments=commitments,
                selections=selections,
            )
        except WalletError as exc:
            session.rollback()
            app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller)
            again = supplement_preparation(session, user, app, form=values, commitments=commitments, selections=selections)
            message = human_message(exc, lang_of(request))
            if isinstance(exc, MaterialsMissing):
                message = t_of(request)("err_supplement_missing")
            return application_page(request, session, user, app, error=message, status=exc.status_code, prep=again)
    return redirect(request, f"/hall/applications/{serial}?supplemented=1")


@router.post("/hall/applications/{serial}/appointment")
def book(
    serial: str,
    request: Request,
    user: HallUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
    slot_id: Annotated[DbInt, Form()] = 0,
) -> Response:
    """预约办理: book a free slot at the chosen centre and show it on the application."""
    if (refused := refuse_bad_csrf(request, csrf)) is not None:
        return refused
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller)
    if not app.item.needs_visit:
        raise NotFound("this item needs no counter visit", field="serial", code="no_visit_needed")
    booking = appointments.book(
        session=session,
        holder_index=_applicant(user, app).index,
        actor=user.caller.actor,
        item=app.item,
        slot_id=slot_id,
        daily_limit=settings_of(request).appointment_daily_limit,
    )
    appointments.attach(session=session, booking=booking, app=app)
    session.commit()
    return redirect(request, f"/hall/applications/{serial}?booked=1")


@router.post("/hall/applications/{serial}/appointment/cancel")
def cancel(
    serial: str,
    request: Request,
    user: HallUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Cancel the application's booking; its place is freed."""
    if (refused := refuse_bad_csrf(request, csrf)) is not None:
        return refused
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller)
    shown = appointments.for_application(session=session, app=app)
    if shown is None:
        raise NotFound("this application has no appointment", field="serial", code="appointment_not_found")
    booking = appointments.get_booking(session=session, appointment_id=shown.id, holder_indexes=user.caller.holder_indexes())
    appointments.cancel(session=session, booking=booking, actor=user.caller.actor)
    session.commit()
    return redirect(request, f"/hall/applications/{serial}?cancelled=1")
