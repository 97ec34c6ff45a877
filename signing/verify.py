"""Verification of sealed PDFs with pyHanko's validator: integrity, chain to the platform root,
timestamp, revocation (platform CRLs, no network), coverage and difference analysis of later changes.

A signature with a trusted timestamp is judged at the timestamp's time (so a B-T seal stays valid after
its certificate expires, and a revocation dated after signing does not void it); without one, now.

The parsing and validation run in a worker process (signing/workers.py, signing/pdfwork.py), never on the
event loop nor in this process's threads; this module gathers the trust material before and turns the
worker's findings into the report after, with the database lookups (which certificate, which department,
revoked when). A file that overruns the time budget is ``verification_timeout``; when every worker is
busy and the queue is full, :class:`~signing.workers.WorkersBusy` (503) is raised.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from core.settings import Settings
from signing import pki, workers
from signing.errors import SigningError
from signing.models import KIND_APPROVER, KIND_SEAL
from signing.pdfwork import DocumentFacts, SignatureFacts, Trust, examine
from signing.report import SignatureReport, VerificationReport, invalid, reason

log = logging.getLogger("onenumber.signing.verify")


def trust_material(*, session: Session, settings: Settings) -> Trust:
    """The platform root, issuing CA and TSA certificates and the current CRLs, as DER for a worker."""
    ca = pki.ensure_pki(session=session, settings=settings)
    return Trust(
        roots=(bytes(ca.root.cert_der),),
        others=(bytes(ca.issuing.cert_der), bytes(ca.tsa.cert_der)),
        crls=tuple(pki.current_crls(session=session, settings=settings)),
    )


def _reasons(problems: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "reason_codes": [p[0] for p in problems],
        "reasons_zh": [p[1] for p in problems],
        "reasons_en": [p[2] for p in problems],
    }


def _timestamp_report(f: SignatureFacts) -> SignatureReport:
    ok = f.intact and f.valid and f.trusted
    return SignatureReport(
        field=f.field,
        kind="document_timestamp",
        valid=ok,
        signer=f.signer,
        intact=f.intact,
        chain_ok=f.trusted,
        timestamp=f.timestamp,
        timestamp_ok=ok,
        covers_whole_file=f.covers_whole_file,
        modification_level=f.modification_level,
        modifications_ok=f.docmdp_ok,
        **_reasons([] if ok else [reason("timestamp_invalid")]),
    )


def _signature_report(session: Session, f: SignatureFacts) -> SignatureReport:
    if f.unreadable or f.signing_cert is None:
        return SignatureReport(field=f.field, kind="other", valid=False, **_reasons([reason("signature_unreadable")]))
    if f.document_timestamp:
        return _timestamp_report(f)
    problems: list[tuple[str, str, str]] = []
    row = pki.get_by_fingerprint(session=session, der=f.signing_cert)
    kind = row.kind if row is not None and row.kind in (KIND_SEAL, KIND_APPROVER) else "other"
    revoked_at = row.revoked_at.isoformat() if row is not None and row.revoked_at else None
    if not f.intact:
        problems.append(reason("content_changed"))
    elif not f.valid:
        problems.append(reason("signature_invalid"))
    elif f.revoked:
        problems.append(reason("certificate_revoked", revoked_at=revoked_at or "?"))
    elif row is None:
        problems.append(reason("outside_certificate"))
    elif not f.trusted:
        problems.append(reason("untrusted_chain", detail=f.trust_problem or "unknown"))
    if f.timestamp_ok is False:
        problems.append(reason("timestamp_invalid"))
    if f.docmdp_ok is False:
        problems.append(reason("modified_after_signing", level=f.modification_level or "UNKNOWN"))
    return SignatureReport(
        field=f.field,
        kind=kind,
        valid=not problems and f.bottom_line,
        signer=f.signer,
        department_name=row.department_name if row is not None else None,
        department_code=row.department_code if row is not None else f.subject_code,
        serial=f.serial,
        intact=f.intact,
        chain_ok=f.trusted,
        signing_time=f.signing_time,
        timestamp=f.timestamp,
        timestamp_ok=f.timestamp_ok,
        covers_whole_file=f.covers_whole_file,
        modification_level=f.modification_level,
        modifications_ok=f.docmdp_ok,
        certified=f.docmdp_level and f.field == "seal",
        revoked=f.revoked,
        revoked_at=revoked_at,
        **_reasons(problems),
    )


def build_report(*, session: Session, sha256: str, facts: DocumentFacts) -> VerificationReport:
    """The report on a file from a worker's findings, with the platform PKI's view of each certificate."""
    if facts.problem is not None:
        return invalid(sha256, facts.problem)
    reports = [_signature_report(session, f) for f in facts.signatures]
    found: list[tuple[str, str, str]] = []
    for r in reports:
        for c, z, e in zip(r.reason_codes, r.reasons_zh, r.reasons_en, strict=True):
            found.append((c, f"[{r.field}] {z}", f"[{r.field}] {e}"))
    if not any(r.kind == KIND_SEAL and r.valid for r in reports):
        found.append(reason("no_department_seal"))
    return VerificationReport(
        valid=not found,
        reasons_zh=[f[1] for f in found],
        reasons_en=[f[2] for f in found],
        signatures=reports,
        sha256=sha256,
        reason_codes=[f[0] for f in found],
    )


def _prepare(session: Session, settings: Settings, pdf: bytes) -> tuple[str, VerificationReport | None, Trust | None]:
    """The digest, and either the verdict on a file not worth a worker (empty, not a PDF) or the trust."""
    digest = hashlib.sha256(pdf).hexdigest()
    if not pdf:
        return digest, invalid(digest, "empty_file"), None
    if b"%PDF-" not in pdf[:1024]:
        return digest, invalid(digest, "not_pdf"), None
    return digest, None, trust_material(session=session, settings=settings)


def _failed(digest: str, pool: workers.WorkerPool, exc: SigningError) -> VerificationReport:
    if isinstance(exc, workers.WorkTimeout):
        log.warning("PDF verification of %s overran its %g s budget", digest[:16], pool.time_budget)
        return invalid(digest, "verification_timeout", seconds=f"{pool.time_budget:g}")
    log.error("PDF verification of %s failed in its worker: %s", digest[:16], exc)
    return invalid(digest, "verification_failed")


async def verify_pdf(*, session: Session, settings: Settings, pdf: bytes) -> VerificationReport:
    """Verify every signature of ``pdf``; bad input gives an invalid report, never an exception.

    The event loop only awaits: the database work runs in a worker thread, pyHanko in a worker process.
    Raises :class:`~signing.workers.WorkersBusy` when the pool's queue is full.
    """
    digest, early, trust = await to_thread.run_sync(_prepare, session, settings, pdf)
    if early is not None or trust is None:
        assert early is not None
        return early
    pool = workers.shared_pool()
    try:
        facts = await pool.run(examine, pdf, trust)
    except (workers.WorkTimeout, workers.WorkFailed) as exc:
        return _failed(digest, pool, exc)
    return await to_thread.run_sync(lambda: build_report(session=session, sha256=digest, facts=facts))


def verify_pdf_sync(*, session: Session, settings: Settings, pdf: bytes) -> VerificationReport:
    """:func:`verify_pdf` for synchronous code outside an event loop (blocks this thread, not a loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise SigningError("verify_pdf_sync called inside a running event loop; await verify_pdf instead")
    digest, early, trust = _prepare(session, settings, pdf)
    if early is not None or trust is None:
        assert early is not None
        return early
    pool = workers.shared_pool()
    try:
        facts = pool.call(examine, pdf, trust)
    except (workers.WorkTimeout, workers.WorkFailed) as exc:
        return _failed(digest, pool, exc)
    return build_report(session=session, sha256=digest, facts=facts)
