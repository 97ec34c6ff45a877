"""HTTP routes of `signing`: the published PKI (root, CA, CRLs), the RFC 3161 TSA, PDF verification."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from core.deps import SessionDep, SettingsDep
from signing import pki, service
from signing.errors import UnsupportedMediaType, UploadTooLarge
from signing.verify import verify_pdf

router = APIRouter(tags=["signing"])


@router.get("/pki/root.pem", response_class=Response)
def root_pem(session: SessionDep, settings: SettingsDep) -> Response:
    """The platform root certificate (PEM) — trust it to check sealed PDFs offline."""
    body = pki.root_pem(session=session, settings=settings)
    session.commit()
    return Response(
        body,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="onenumber-root.pem"'},
    )


@router.get("/pki/root.der", response_class=Response)
def root_der(session: SessionDep, settings: SettingsDep) -> Response:
    """The platform root certificate (DER)."""
    body = service.root_der(session=session, settings=settings)
    session.commit()
    return Response(body, media_type="application/pkix-cert")


@router.get("/pki/ca.der", response_class=Response)
def ca_der(session: SessionDep, settings: SettingsDep) -> Response:
    """The seal issuing CA certificate (DER)."""
    body = service.issuing_der(session=session, settings=settings)
    session.commit()
    return Response(body, media_type="application/pkix-cert")


@router.get("/pki/crl.der", response_class=Response)
def crl_der(session: SessionDep, settings: SettingsDep) -> Response:
    """CRL of the seal issuing CA (seals, approvers, TSA)."""
    body = service.crl_der(session=session, settings=settings)
    session.commit()
    return Response(body, media_type="application/pkix-crl")


@router.get("/pki/root-crl.der", response_class=Response)
def root_crl_der(session: SessionDep, settings: SettingsDep) -> Response:
    """CRL of the root CA (issuing CAs)."""
    body = service.crl_der(session=session, settings=settings, root=True)
    session.commit()
    return Response(body, media_type="application/pkix-crl")


@router.post("/tsa", response_class=Response)
async def timestamp(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """RFC 3161 timestamp authority over HTTP (§3.4)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/timestamp-query":
        raise UnsupportedMediaType("expected Content-Type: application/timestamp-query", field="content-type")
    body = await request.body()
    reply = service.timestamp_reply(session=session, settings=settings, query=body)
    session.commit()
    return Response(reply, media_type="application/timestamp-reply")


@router.post("/api/verify/pdf")
async def verify_upload(
    file: UploadFile, request: Request, session: SessionDep, settings: SettingsDep
) -> dict:
    """Verify an uploaded PDF (multipart field ``file``); the report says why it is valid or not.

    503 ``temporarily_unavailable`` with ``Retry-After`` when every verification worker is busy.
    """
    limit = settings.upload_limit_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise UploadTooLarge(f"the upload exceeds the limit of {limit} bytes", field="file")
    # One read in a worker thread (the parser has spooled the part already): reading 64 KiB at a time
    # costs a thread hop per chunk, ~150 of them for a 9 MB file, all scheduled by the event loop.
    data = await run_in_threadpool(file.file.read, limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"the upload exceeds the limit of {limit} bytes", field="file")
    report = await verify_pdf(session=session, settings=settings, pdf=data)
    await run_in_threadpool(session.commit)
    return report.to_dict()
