"""Verification API: public presentation check, department check, PDF, SD-JWT (the ``/verify`` page is in
channels)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from core import groupcommit
from core.deps import SessionDep, SettingsDep
from core.runtime import runtime_of
from wallet.dependencies import CurrentCaller, OptionalCaller, get_optional_caller, has_bearer
from wallet.errors import WalletError
from wallet.licenses import refs, sdjwt, verification
from wallet.licenses.schemas import (
    LicenseCheckIn,
    LicenseOut,
    PdfVerificationOut,
    SdJwtIn,
    TokenIn,
    VerificationOut,
)

router = APIRouter(tags=["verification"])


@router.post("/api/verify/presentation", response_model=VerificationOut)
async def verify_presentation(body: TokenIn, request: Request) -> Response:
    """Check a presentation token from a QR: status, license, issuer, masked holder, revealed fields."""
    # The busiest public endpoint runs on the event loop: the token is checked here, the license read by a
    # query shared with concurrent requests and the access-log row written by group commit (both in worker
    # threads, before the answer), and the answer sent as built (response_model documents it).
    runtime = runtime_of(request)
    caller = await run_in_threadpool(get_optional_caller, request) if has_bearer(request) else None
    answer = await verification.verify_presentation_shared(
        sessionmaker=runtime.sessionmaker,
        reader=runtime.get(refs.READER),
        writer=runtime.get(groupcommit.WRITER),
        token=body.token,
        caller=caller,
        channel="api",
    )
    return Response(to_json(answer), media_type="application/json")


@router.post("/api/verify/license", response_model=LicenseOut)
def verify_license(
    body: LicenseCheckIn, session: SessionDep, settings: SettingsDep, caller: CurrentCaller
) -> LicenseOut:
    """A department checks a license by identifier and holder number, under a grant (or as its issuer)."""
    return verification.read_as_department(
        session=session,
        settings=settings,
        caller=caller,
        identifier=body.identifier,
        purpose=body.purpose,
        channel="verify",
        holder_number=body.holder_number,
    )


@router.post("/api/wallet/verify/pdf", response_model=PdfVerificationOut)
def verify_pdf(
    session: SessionDep, settings: SettingsDep, caller: OptionalCaller, file: Annotated[UploadFile, File()]
) -> PdfVerificationOut:
    """Registry check of an uploaded PDF: seal (signing/), registered original (SHA-256), current status.

    A sync handler: it waits in a worker thread for signing's worker process; 503 ``temporarily_unavailable``
    with ``Retry-After`` when every verification worker is busy."""
    data = file.file.read(settings.upload_limit_bytes + 1)
    if len(data) > settings.upload_limit_bytes:
        raise WalletError("the file is larger than the upload limit", field="file", code="upload_too_large")
    return verification.verify_pdf(session=session, settings=settings, pdf=data, caller=caller)


@router.post("/api/verify/sd-jwt")
def verify_sd_jwt(body: SdJwtIn, session: SessionDep) -> dict[str, Any]:
    """Check an SD-JWT VC: issuer signature, disclosures, current status."""
    return sdjwt.verify(session=session, credential=body.credential)
