"""The public verify page (扫码核验): a presentation code from a QR or typed in, or an uploaded sealed PDF."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlparse

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from channels.pages import PageRoute, human_message
from channels.rendering import KIT
from core.db import autocommit
from core.deps import SessionDep, SettingsDep
from core.web.security import declare_no_store
from signing.workers import WorkersBusy
from wallet.applications import conclusion
from wallet.errors import WalletError
from wallet.licenses import verification

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/verify")


def token_from(text: str) -> str:
    """The presentation token in what was typed or pasted: the token itself or the whole verify link."""
    text = text.strip()
    if "://" in text or text.startswith("/verify"):
        values = parse_qs(urlparse(text).query).get("t")
        if values:
            return values[0].strip()
    return text


def _check(request: Request, session: SessionDep, token: str, channel: str) -> Response:
    try:
        result = verification.verify_presentation(session=autocommit(session), token=token, channel=channel)
    except WalletError as exc:
        return KIT.render(
            request,
            "verify.html",
            status_code=exc.status_code,
            error=human_message(exc, KIT.lang_of(request)),
            token=token,
        )
    return KIT.render(request, "verify.html", result=result, token=token)


@router.get("/verify")
def verify_page(
    request: Request, session: SessionDep, t: str | None = None, id: str | None = None
) -> Response:
    """Open from a QR (``?t=<token>``), look up a PDF's identifier (``?id=``), or show the empty form."""
    if t:
        return _check(request, session, token_from(t), "qr")
    if id:
        try:
            status = verification.status(session=session, identifier=id.strip())
        except WalletError as exc:
            return KIT.render(
                request,
                "verify.html",
                status_code=exc.status_code,
                error=human_message(exc, KIT.lang_of(request)),
            )
        return KIT.render(request, "verify.html", status=status)
    return KIT.render(request, "verify.html")


@router.post("/verify")
def verify_form(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=8000)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """A typed or pasted presentation code (or the whole link)."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    if not token.strip():
        return KIT.render(request, "verify.html", status_code=422, error=KIT.t_of(request)("err_token_empty"))
    return _check(request, session, token_from(token), "web")


@router.post("/verify/pdf")
def verify_pdf(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """An uploaded PDF: seal check by signing/, then the registry (license original or application result)."""
    t = KIT.t_of(request)
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    data = file.file.read(settings.upload_limit_bytes + 1)
    if not data:
        return KIT.render(request, "verify.html", status_code=422, error=t("err_file_empty"))
    if len(data) > settings.upload_limit_bytes:
        return KIT.render(request, "verify.html", status_code=413, error=t("err_upload_too_large"))
    try:
        report = verification.verify_pdf(session=session, settings=settings, pdf=data)
    except WorkersBusy as exc:
        busy = KIT.render(request, "verify.html", status_code=503, error=t("err_verify_busy"))
        busy.headers.update(exc.headers)
        return busy
    result_doc = None
    if report.verdict == "not_registered":
        found = conclusion.result_by_sha256(session=session, sha256=report.sha256)
        if found is not None:
            result_doc = {"result": found[0], "application": found[1]}
    return KIT.render(request, "verify.html", pdf=report, result_doc=result_doc, filename=file.filename or "")
