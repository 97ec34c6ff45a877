"""核验: public status, presentation tokens, department checks under a grant, and uploaded PDFs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

import signing
from core.clock import utcnow
from core.crypto import holder_index
from core.groupcommit import GroupCommit
from core.groupread import GroupRead
from core.metrics import VERIFICATIONS
from core.settings import Settings
from wallet.dependencies import Caller
from wallet.errors import Forbidden, InvalidPresentation, LicenseNotFound, refuse_id_number
from wallet.licenses import access, grants, presentation, refs, service, views
from wallet.licenses.models import AccessLog, License
from wallet.licenses.schemas import LicenseOut, PdfVerificationOut, StatusOut, VerificationOut


def status(*, session: Session, identifier: str, now: datetime | None = None) -> StatusOut:
    """Public status of a license by identifier (no personal data)."""
    lic = service.get_by_identifier(session=session, identifier=identifier)
    if lic is None:
        raise LicenseNotFound()
    nxt = service.successor(session=session, lic=lic) if lic.status == "superseded" else None
    return views.status_out(lic, superseded_by=nxt.identifier if nxt else None, now=now)


def verify_presentation(
    *,
    session: Session,
    token: str,
    caller: Caller | None = None,
    channel: str = "qr",
    now: datetime | None = None,
) -> VerificationOut:
    """Check a presentation token (signature, age) and the license's current status; log the check."""
    now = now or utcnow()
    try:
        claims, age = presentation.decode(session=session, token=token, now=now)
    except InvalidPresentation:
        VERIFICATIONS.labels("presentation", "invalid").inc()
        raise
    lic = refs.get_for_verification(session=session, identifier=str(claims.get("license", "")))
    if lic is None:
        VERIFICATIONS.labels("presentation", "not_registered").inc()
        raise InvalidPresentation("the presented license is not in the registry")
    grants.add_entry(session, _check_entry(lic, caller=caller, channel=channel, now=now))
    session.commit()
    body = views.verification_body(lic, claims=claims, age=age, now=now)
    VERIFICATIONS.labels("presentation", body["status"]).inc()
    return VerificationOut.model_validate(body)


async def verify_presentation_shared(
    *,
    sessionmaker: Callable[[], Session],
    reader: GroupRead[str, refs.LicenseFacts],
    writer: GroupCommit,
    token: str,
    caller: Caller | None = None,
    channel: str = "api",
    now: datetime | None = None,
) -> dict[str, Any]:
    """:func:`verify_presentation` on the event loop for the busy API; the body of :class:`VerificationOut`.

    The license is read by ``reader`` together with concurrent requests' licenses, after this call
    started (never from a cache); the access-log row is committed by ``writer`` before this returns.
    """
    now = now or utcnow()
    try:
        try:
            claims, age = presentation.decode_with_loaded_keys(token=token, now=now)
        except presentation.UnknownKey:  # first token under this key in this process: load it

            def decode() -> tuple[dict[str, Any], int]:
                with sessionmaker() as session:
                    return presentation.decode(session=session, token=token, now=now)

            claims, age = await to_thread.run_sync(decode)
    except InvalidPresentation:
        VERIFICATIONS.labels("presentation", "invalid").inc()
        raise
    lic = await reader.get(refs.normalise(str(claims.get("license", ""))))
    if lic is None:
        VERIFICATIONS.labels("presentation", "not_registered").inc()
        raise InvalidPresentation("the presented license is not in the registry")
    entry = _check_entry(lic, caller=caller, channel=channel, now=now)
    await writer.write([entry])
    body = views.verification_body(lic, claims=claims, age=age, now=now)
    VERIFICATIONS.labels("presentation", body["status"]).inc()
    return body


def _check_entry(
    lic: License | refs.LicenseFacts, *, caller: Caller | None, channel: str, now: datetime
) -> AccessLog:
    """The access-log row of a presentation check."""
    accessor, label = grants.accessor_of(caller)
    return grants.access_entry(
        lic=lic, accessor=accessor, accessor_label=label, action="verify", channel=channel,
        purpose="presentation", now=now,
    )


def read_as_department(
    *,
    session: Session,
    settings: Settings,
    caller: Caller,
    identifier: str,
    purpose: str,
    channel: str,
    holder_number: str | None = None,
    now: datetime | None = None,
) -> LicenseOut:
    """A department reads a license as its issuer or through an active grant; logged; else 404."""
    now = now or utcnow()
    refuse_id_number(purpose, field="purpose")  # the purpose is stored and shown to the holder in their access log
    if not caller.reading_departments() and caller.is_person:
        raise LicenseNotFound()
    lic = service.get_by_identifier(session=session, identifier=identifier)
    if lic is None:
        raise LicenseNotFound()
    if (
        holder_number is not None
        and holder_index(lic.holder_kind, holder_number, master_key=settings.secret_key) != lic.holder_index
    ):
        raise LicenseNotFound("no such license for this holder number")
    as_issuer = access.reads_as_issuer(caller, lic)
    grant = None if as_issuer else grants.find_active(session=session, caller=caller, lic=lic, now=now)
    if not as_issuer and grant is None:
        raise LicenseNotFound()
    if grant is not None and not purpose.strip():
        raise Forbidden("state the purpose of this read", field="purpose")
    accessor, label = grants.accessor_of(caller)
    grants.add_entry(
        session,
        grants.access_entry(
            lic=lic,
            accessor=accessor,
            accessor_label=label,
            action="read",
            channel=channel,
            purpose=purpose or ("issuer" if as_issuer else ""),
            grant=grant,
            now=now,
        ),
    )
    session.commit()
    return views.license_out(
        lic, settings=settings, full_holder=False, fields=None if grant is None else grant.fields, now=now
    )


def _registry_part(lic: License | None, now: datetime) -> dict[str, Any]:
    if lic is None:
        return {"registered": False}
    return {
        "registered": True,
        "identifier": lic.identifier,
        "status": service.effective_status(lic, now=now),
        "license_type": views.type_ref(lic),
        "issuer": views.issuer_ref(lic),
    }


def verify_pdf(
    *, session: Session, settings: Settings, pdf: bytes, caller: Caller | None = None, now: datetime | None = None
) -> PdfVerificationOut:
    """Seal check by signing/ (in its worker pool; ``signing.workers.WorkersBusy`` when that is full), then
    the registry: sealed original of a license? status now."""
    now = now or utcnow()
    report = signing.verify_pdf_sync(session=session, settings=settings, pdf=pdf)
    sha = report.sha256
    lic = service.get_by_sha256(session=session, sha256=sha)
    registry = _registry_part(lic, now)
    reasons_zh, reasons_en = list(report.reasons_zh), list(report.reasons_en)
    if not report.valid:
        verdict = "invalid_signature"
    elif lic is None:
        verdict = "not_registered"
        reasons_zh.append("签章有效，但该文件不是证照库中登记的证照原件")
        reasons_en.append("the seal is valid, but this file is not the registered original of any license")
    else:
        verdict = registry["status"]
        if verdict != "valid":
            reasons_zh.append(f"证照当前状态：{verdict}")
            reasons_en.append(f"the license is now {verdict}")
    VERIFICATIONS.labels("pdf", verdict).inc()
    if lic is not None:
        accessor, label = grants.accessor_of(caller)
        grants.add_entry(
            session,
            grants.access_entry(
                lic=lic,
                accessor=accessor,
                accessor_label=label,
                action="verify",
                channel="pdf",
                purpose="pdf check",
                now=now,
            ),
        )
        session.commit()
    return PdfVerificationOut(
        valid=verdict == "valid",
        verdict=verdict,
        reasons_zh=reasons_zh,
        reasons_en=reasons_en,
        sha256=sha,
        signature=report.to_dict(),
        checked_at=now,
        **registry,
    )
