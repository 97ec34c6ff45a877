"""Applications HTTP API for applicants and the public; staff and feedback routes are included below."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from core.deps import SessionDep, SettingsDep
from core.inputs import IdempotencyKey
from storage.deps import BlobStoreDep
from wallet.applications import access, conclusion, materials, progress, resolve, submission, views
from wallet.applications import supplement as supplement_service
from wallet.applications.applicant import applicant_for, walk_in
from wallet.applications.dependencies import NowDep
from wallet.applications.routes_feedback import router as feedback_router
from wallet.applications.routes_staff import router as staff_router
from wallet.applications.schemas import ApplicationOut, DocumentOut, PrepareOut, SubmitIn, SupplementIn
from wallet.dependencies import SCOPE_ID_NUMBER, SCOPE_WALLET_APPLY, Applier, Caller, ScopeRule
from wallet.errors import NotFound, WalletError
from wallet.services import service as catalog

router = APIRouter(tags=["applications"])
ResultReader = Annotated[Caller, Depends(ScopeRule(SCOPE_WALLET_APPLY, extra=(SCOPE_ID_NUMBER,)))]
# a walk-in upload at a counter is a staff action: only from the platform's own channels
_COUNTER = ScopeRule(SCOPE_WALLET_APPLY, first_party=True)


@router.get("/api/services/{code}/prepare", response_model=PrepareOut)
def prepare(code: str, session: SessionDep, caller: Applier, now: NowDep) -> PrepareOut:
    """Each requirement resolved from the wallet and earlier materials; everything missing, at once."""
    item = catalog.require_item(session=session, code=code)
    applicant = applicant_for(session=session, caller=caller, item=item)
    prep = resolve.prepare(session=session, item=item, applicant=applicant, now=now)
    return views.prepare_out(prep)


@router.post("/api/applications/materials", response_model=DocumentOut, status_code=201)
async def upload_material(
    session: SessionDep,
    settings: SettingsDep,
    blob_store: BlobStoreDep,
    caller: Applier,
    now: NowDep,
    item: Annotated[str, Form()],
    requirement: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    number: Annotated[str | None, Form(description="counter clerks: the walk-in applicant's number")] = None,
    name: Annotated[str | None, Form()] = None,
) -> DocumentOut:
    """Upload a document once (it is reused later); size and type are checked before anything is stored."""
    row = catalog.require_item(session=session, code=item, field="item")
    if number:
        _COUNTER(caller)
        applicant = walk_in(caller, row, number=number, name=name or "—", settings=settings)
    else:
        applicant = applicant_for(session=session, caller=caller, item=row)
    req = materials.document_requirement(item=row, key=requirement)
    limit = min(req.max_bytes or settings.upload_limit_bytes, settings.upload_limit_bytes)
    data = await file.read(limit + 1)  # never buffer more than one byte past the limit
    doc = materials.upload(
        session=session,
        blob_store=blob_store,
        item=row,
        applicant=applicant,
        requirement=requirement,
        data=data,
        content_type=file.content_type or "",
        filename=file.filename or "",
        actor=caller.actor,
        limit=limit,
        at_counter=bool(number),
        now=now,
    )
    session.commit()
    return DocumentOut(
        id=doc.id,
        doc_type=doc.doc_type,
        name=doc.name,
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.blob_key,
        trust=doc.trust,
        uploaded_at=doc.uploaded_at,
        reusable=doc.reusable,
    )


@router.post("/api/applications", response_model=ApplicationOut, status_code=201)
def submit(
    body: SubmitIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: Applier,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut:
    """Submit with one number; returns the serial number (流水号) and the query code."""
    item = catalog.require_item(session=session, code=body.item, field="item")
    applicant = applicant_for(session=session, caller=caller, item=item)
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
        holder_number=body.holder_number,
        appointment_id=body.appointment_id,
        now=now,
    )
    session.commit()
    if not done.created:
        response.status_code = 200
    return views.application_out(
        session=session, settings=settings, app=done.application, with_code=True, base_url=settings.issuer
    )


@router.get("/api/applications", response_model=list[ApplicationOut])
def my_applications(
    session: SessionDep, settings: SettingsDep, caller: Applier
) -> list[ApplicationOut]:
    """My applications (and those of organisations I act for), with their timelines."""
    return [
        views.application_out(session=session, settings=settings, app=a, base_url=settings.issuer)
        for a in access.list_mine(session=session, caller=caller)
    ]


@router.get("/api/applications/status", response_model=None)
def public_status(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    serial: Annotated[str, Query(max_length=progress.MAX_LENGTH)],
    code: Annotated[str | None, Query(max_length=progress.MAX_LENGTH, description="required")] = None,
) -> dict[str, Any] | Response:
    """Progress by serial number and query code (kiosk, phone); no personal data."""
    if code is None:
        # a browser that scanned the QR of a result sealed before the QR carried the page link and the code
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(progress.page_url(settings, serial), status_code=303)
        raise WalletError("give the query code too", field="code")
    return progress.lookup(session=session, settings=settings, serial=serial, code=code)


@router.get("/api/applications/{serial}", response_model=ApplicationOut)
def get_application(
    serial: str, session: SessionDep, settings: SettingsDep, caller: Applier
) -> ApplicationOut:
    """One application: for its applicant, the departments it is routed to, or a counter clerk."""
    app = access.require_visible(session=session, serial=serial, caller=caller)
    return views.application_out(session=session, settings=settings, app=app, base_url=settings.issuer)


@router.get("/api/applications/{serial}/result.pdf")
def result_pdf(
    serial: str, session: SessionDep, blob_store: BlobStoreDep, caller: ResultReader
) -> Response:
    """The sealed result (一口出件); a sealed document may show clear numbers, so it needs ``id_number`` too."""
    app = access.require_visible(session=session, serial=serial, caller=caller)
    result = conclusion.get_result(session=session, app=app)
    if result is None:
        raise NotFound("this application has no result yet", field="serial", code="result_not_ready")
    return Response(
        blob_store.get(result.pdf_blob_key),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{app.serial}.pdf"'},
    )


@router.post("/api/applications/{serial}/supplement", response_model=ApplicationOut)
def supplement(
    serial: str,
    body: SupplementIn,
    session: SessionDep,
    settings: SettingsDep,
    caller: Applier,
    now: NowDep,
) -> ApplicationOut:
    """Answer a supplement request; only what it listed is asked for."""
    app = supplement_service.supplement(
        session=session,
        caller=caller,
        serial=serial,
        form=body.form,
        commitments=body.commitments,
        selections=dict(body.selections),
        now=now,
    )
    return views.application_out(session=session, settings=settings, app=app, base_url=settings.issuer)


router.include_router(staff_router)
router.include_router(feedback_router)
