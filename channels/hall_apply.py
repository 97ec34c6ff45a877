"""Hall pages for services: catalog and guides, the apply flow (matched, missing, upload, commitment),
my applications, the sealed result, and the rating (好差评); one application's page is in hall_application."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from channels.identity import Identity, hall_user
from channels.pages import PageRoute, human_message
from channels.rendering import KIT
from core.clock import utcnow
from core.deps import SessionDep, SettingsDep
from core.inputs import ascii_digits, ascii_int
from core.runtime import runtime_of
from core.web.i18n import pick
from core.web.pages import settings_of
from core.web.security import declare_no_store
from storage.deps import BlobStoreDep, blob_store_of
from wallet.applications import feedback, intake, resolve, review
from wallet.applications import service as app_service
from wallet.applications.applicant import applicant_for
from wallet.applications.exceptions import MaterialsMissing
from wallet.dependencies import DELEGATION_APPLY
from wallet.errors import NotFound, WalletError
from wallet.services import service as items_service

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/hall")
HallUser = Annotated[Identity, Depends(hall_user)]


@router.get("/hall/services")
def services(request: Request, user: HallUser, session: SessionDep) -> Response:
    """The service catalog (事项目录): personal and business items."""
    items = items_service.list_items(session=session)
    return KIT.render(request, "hall/services.html", items=items, pick=pick)


@router.get("/hall/services/{code}")
def guide(
    code: str, request: Request, user: HallUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """The service guide (办事指南) and the way in to applying."""
    item = items_service.require_item(session=session, code=code)
    data = items_service.guide(session=session, item=item, base_url=settings.issuer, lang=KIT.lang_of(request))
    return KIT.render(request, "hall/guide.html", g=data, item=item, pick=pick)


def requirement_names(item: Any, lang: str) -> dict[str, str]:
    """Requirement key → name in the page language (every version's requirements, active or not)."""
    return {r.key: pick(lang, r.name, r.name_en) for r in item.requirements}


def _prepare(session: Any, user: Identity, item: Any) -> Any:
    applicant = applicant_for(session=session, caller=user.caller, item=item)
    return resolve.prepare(session=session, item=item, applicant=applicant, now=utcnow())


@router.get("/hall/apply/{code}")
def apply_page(code: str, request: Request, user: HallUser, session: SessionDep) -> Response:
    """一次性告知: what the wallet already provides, and everything still missing, at once."""
    item = items_service.require_item(session=session, code=code)
    prep = _prepare(session, user, item)
    return _apply_render(request, item, prep)


def _apply_render(
    request: Request, item: Any, prep: Any, *, error: str | None = None, status: int = 200, **extra: Any
) -> Response:
    holder_number_required = bool(item.issues_license_type) and prep.applicant.number is None
    return KIT.render(
        request,
        "hall/apply.html",
        status_code=status,
        item=item,
        prep=prep,
        error=error,
        holder_number_required=holder_number_required,
        submit_key=secrets.token_urlsafe(16),
        pick=pick,
        **extra,
    )


def _coerce(value: str, kind: str | None) -> Any:
    value = value.strip()
    if kind == "integer" and ascii_int(value) is not None:
        return ascii_int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_answers(form: FormData, prep: Any) -> tuple[dict[str, dict[str, Any]], list[str], dict[str, Any]]:
    """Form values, signed commitments and chosen licenses/documents from the apply form's fields."""
    values: dict[str, dict[str, Any]] = {}
    selections: dict[str, Any] = {}
    for res in prep.requirements:
        if res.kind == "form":
            kinds = {f["name"]: f.get("type") for f in res.details.get("fields", [])}
            answers = {}
            for name, kind in kinds.items():
                raw = form.get(f"form__{res.key}__{name}")
                if isinstance(raw, str) and raw.strip():
                    answers[name] = _coerce(raw, kind)
            values[res.key] = answers
        chosen = form.get(f"sel__{res.key}")
        if isinstance(chosen, str) and chosen:
            selections[res.key] = int(chosen) if ascii_digits(chosen) and len(chosen) < 10 else chosen  # fits INTEGER
    commitments = [c for c in form.getlist("commitments") if isinstance(c, str)]
    return values, commitments, selections


async def read_uploads(form: FormData, *, limit: int) -> dict[str, intake.Upload]:
    """The files attached to ``doc__<requirement>`` fields, each read to at most one byte past ``limit``
    (never more is buffered; the service refuses what is too large)."""
    uploads: dict[str, intake.Upload] = {}
    for name, value in form.multi_items():
        if name.startswith("doc__") and isinstance(value, UploadFile) and value.filename:
            data = await value.read(limit + 1)
            uploads[name.removeprefix("doc__")] = intake.Upload(data, value.content_type or "", value.filename)
    return uploads


@router.post("/hall/apply/{code}")
async def apply_submit(code: str, request: Request, user: HallUser) -> Response:
    """Upload what was attached, then submit; if anything is still missing, say all of it at once."""
    form = await request.form()
    csrf = form.get("csrf")
    if (refused := KIT.refuse_bad_csrf(request, csrf if isinstance(csrf, str) else None)) is not None:
        return refused
    uploads = await read_uploads(form, limit=settings_of(request).upload_limit_bytes)
    return await run_in_threadpool(_apply_sync, request, user, code, form, uploads)


def _apply_sync(
    request: Request, user: Identity, code: str, form: FormData, uploads: dict[str, intake.Upload]
) -> Response:
    settings = settings_of(request)
    blob_store = blob_store_of(request)
    with runtime_of(request).sessionmaker() as session:
        item = items_service.require_item(session=session, code=code)
        applicant = applicant_for(session=session, caller=user.caller, item=item)
        prep = resolve.prepare(session=session, item=item, applicant=applicant, now=utcnow())
        values, commitments, selections = parse_answers(form, prep)
        holder_number = form.get("holder_number")
        try:
            done = intake.submit_with_uploads(
                session=session,
                settings=settings,
                blob_store=blob_store,
                item=item,
                applicant=applicant,
                uploads=uploads,
                actor=user.caller.actor,
                form=values,
                commitments=commitments,
                selections=selections,
                idempotency_key=str(form.get("submit_key") or "") or None,
                holder_number=holder_number.strip() if isinstance(holder_number, str) and holder_number else None,
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
            message = human_message(exc, KIT.lang_of(request))
            if isinstance(exc, MaterialsMissing):
                message = KIT.t_of(request)("err_materials_missing")
            return _apply_render(request, item, prep, error=message, status=exc.status_code)
        serial = done.application.serial
    return KIT.redirect(request, f"/hall/applications/{serial}?submitted=1")


@router.get("/hall/applications")
def applications(request: Request, user: HallUser, session: SessionDep) -> Response:
    """My applications (and those of the organisation I act for)."""
    rows = app_service.list_mine(session=session, caller=user.caller)
    return KIT.render(request, "hall/applications.html", apps=rows, pick=pick)


@router.get("/hall/applications/{serial}/result.pdf")
def result_pdf(
    serial: str, request: Request, user: HallUser, session: SessionDep, blob_store: BlobStoreDep
) -> Response:
    """The sealed result (一口出件)."""
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller)
    result = review.get_result(session=session, app=app)
    if result is None:
        raise NotFound("this application has no result yet", field="serial", code="result_not_ready")
    return Response(
        blob_store.get(result.pdf_blob_key),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{app.serial}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/hall/applications/{serial}/rate")
def rate(
    serial: str,
    request: Request,
    user: HallUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
    score: Annotated[int, Form()] = 0,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """好差评: one rating per concluded application."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    app = app_service.require_for_applicant(session=session, serial=serial, caller=user.caller, action=DELEGATION_APPLY)
    feedback.rate(session=session, caller=user.caller, app=app, score=score, comment=comment)
    session.commit()
    return KIT.redirect(request, f"/hall/applications/{serial}")
