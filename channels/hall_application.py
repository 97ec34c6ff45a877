"""Hall pages of one application: materials, timeline, result and rating; answering a supplement request
(一次性补正) with exactly what it lists; booking, showing and cancelling a counter appointment (预约办理)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from channels.hall_apply import parse_answers, read_uploads, requirement_names
from channels.identity import Identity, hall_user
from channels.pages import PageRoute, human_message
from channels.rendering import KIT
from core.db import DbInt
from core.deps import SessionDep
from core.runtime import runtime_of
from core.web.i18n import pick
from core.web.pages import settings_of
from core.web.security import declare_no_store
from storage.deps import blob_store_of
from wallet.applications import appointments, feedback, intake, progress, review, views
from wallet.applications import service as app_service
from wallet.applications.exceptions import ApplicationNotFound, MaterialsMissing
from wallet.dependencies import DELEGATION_APPLY
from wallet.errors import WalletError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/hall")
HallUser = Annotated[Identity, Depends(hall_user)]
NOTICES = ("submitted", "supplemented", "booked", "cancelled")


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
        prep = intake.prepare_supplement(session=session, caller=user.caller, app=app)
    centres = appointments.list_centres(session=session) if app.item.needs_visit else []
    centre = None
    slots: list[Any] = []
    wanted = request.query_params.get("centre")
    if wanted and centres and out.appointment is None:
        centre = appointments.get_centre(session=session, code=wanted)
        if centre is not None:
            slots = appointments.open_slots(session=session, centre=centre)
    notice = next((n for n in NOTICES if request.query_params.get(n)), None)
    return KIT.render(
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
        req_names=requirement_names(app.item, KIT.lang_of(request)),
    )


@router.get("/hall/progress")
def progress_page(
    request: Request, session: SessionDep, serial: str | None = None, code: str | None = None
) -> Response:
    """办件进度查询, public: the progress and result of an application by serial number and query code (the
    page the QR code of a sealed result opens); without both, the form asking for them."""
    settings = settings_of(request)
    if not serial or not code:
        return KIT.render(request, "hall/progress.html", status=None, serial=serial)
    try:
        status = progress.lookup(session=session, settings=settings, serial=serial, code=code)
    except ApplicationNotFound:
        error = KIT.t_of(request)("progress_not_found")
        return KIT.render(request, "hall/progress.html", status_code=404, status=None, serial=serial, error=error)
    return KIT.render(request, "hall/progress.html", status=status, serial=serial)


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
    if (refused := KIT.refuse_bad_csrf(request, csrf if isinstance(csrf, str) else None)) is not None:
        return refused
    uploads = await read_uploads(form, limit=settings_of(request).upload_limit_bytes)
    return await run_in_threadpool(_supplement_sync, request, user, serial, form, uploads)


def _supplement_sync(
    request: Request, user: Identity, serial: str, form: FormData, uploads: dict[str, intake.Upload]
) -> Response:
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller, action=DELEGATION_APPLY)
        prep = intake.prepare_supplement(session=session, caller=user.caller, app=app)
        values, commitments, selections = parse_answers(form, prep)
        try:
            intake.supplement_with_uploads(
                session=session,
                settings=settings,
                blob_store=blob_store_of(request),
                caller=user.caller,
                app=app,
                uploads=uploads,
                form=values,
                commitments=commitments,
                selections=selections,
            )
        except WalletError as exc:
            session.rollback()
            app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller, action=DELEGATION_APPLY)
            again = intake.prepare_supplement(
                session=session, caller=user.caller, app=app, form=values, commitments=commitments, selections=selections
            )
            message = human_message(exc, KIT.lang_of(request))
            if isinstance(exc, MaterialsMissing):
                message = KIT.t_of(request)("err_supplement_missing")
            return application_page(request, session, user, app, error=message, status=exc.status_code, prep=again)
    return KIT.redirect(request, f"/hall/applications/{serial}?supplemented=1")


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
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller, action=DELEGATION_APPLY)
    appointments.book_for_application(
        session=session,
        caller=user.caller,
        app=app,
        slot_id=slot_id,
        daily_limit=settings_of(request).appointment_daily_limit,
    )
    session.commit()
    return KIT.redirect(request, f"/hall/applications/{serial}?booked=1")


@router.post("/hall/applications/{serial}/appointment/cancel")
def cancel(
    serial: str,
    request: Request,
    user: HallUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Cancel the application's booking; its place is freed."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller, action=DELEGATION_APPLY)
    appointments.cancel_for_application(session=session, caller=user.caller, app=app)
    session.commit()
    return KIT.redirect(request, f"/hall/applications/{serial}?cancelled=1")
