"""Verification of sealed PDFs with pyHanko's validator: integrity, chain to the platform root,
timestamp, revocation (platform CRLs, no network), coverage and difference analysis of later changes.

A signature with a trusted timestamp is judged at the timestamp's time (so a B-T seal stays valid after
its certificate expires, and a revocation dated after signing does not void it); without one, now.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy.orm import Session

from signing import crl, pki
from signing.errors import InvalidDocument, SigningError
from signing.models import KIND_APPROVER, KIND_SEAL
from signing.report import SignatureReport, VerificationReport, invalid, reason
from signing.seal import open_pdf

_PARSE_ERRORS = (SignatureValidationError, PyHankoSigningError, PdfError, ValueError, KeyError, TypeError)


def _context(trust: dict[str, Any], *, moment: datetime | None) -> ValidationContext:
    # A fresh context per signature: contexts cache validation results and must never be shared.
    return ValidationContext(
        trust_roots=trust["roots"],
        other_certs=trust["others"],
        crls=[asn1_crl.CertificateList.load(d) for d in trust["crls"]],
        allow_fetching=False,
        revocation_mode="hard-fail",
        moment=moment,
        retroactive_revinfo=moment is not None,
    )


def _timestamp_time(sig: EmbeddedPdfSignature) -> datetime | None:
    for tst in extract_tst_data_iter(sig.signer_info, signed=False):
        gen_time: datetime = tst["encap_content_info"]["content"].parsed["gen_time"].native
        return gen_time
    return None


def _subject(cert: asn1_x509.Certificate) -> tuple[str | None, str | None]:
    subject = cert.subject.native
    code = subject.get("organization_identifier")
    if isinstance(code, str) and code.startswith("NTRCN-"):
        code = code[len("NTRCN-") :]
    return subject.get("common_name"), code


async def _check_signature(
    session: Session, sig: EmbeddedPdfSignature, trust: dict[str, Any]
) -> SignatureReport:
    problems: list[tuple[str, str, str]] = []
    field = str(sig.field_name)
    if sig.sig_object_type == "/DocTimeStamp":
        ts_status = await async_validate_pdf_timestamp(sig, validation_context=_context(trust, moment=None))
        ok = ts_status.intact and ts_status.valid and ts_status.trusted
        if not ok:
            problems.append(reason("timestamp_invalid"))
        return SignatureReport(
            field=field,
            kind="document_timestamp",
            valid=ok,
            signer=_subject(ts_status.signing_cert)[0],
            intact=ts_status.intact,
            chain_ok=ts_status.trusted,
            timestamp=ts_status.timestamp.isoformat(),
            timestamp_ok=ok,
            covers_whole_file=ts_status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            modification_level=ts_status.modification_level.name if ts_status.modification_level else None,
            modifications_ok=ts_status.docmdp_ok,
            **_reasons(problems),
        )
    ts_time = _timestamp_time(sig)
    status = await async_validate_pdf_signature(
        sig,
        signer_validation_context=_context(trust, moment=ts_time),
        ts_validation_context=_context(trust, moment=None),
    )
    row = pki.get_by_fingerprint(session=session, der=status.signing_cert.dump())
    signer, code = _subject(status.signing_cert)
    kind = row.kind if row is not None and row.kind in (KIND_SEAL, KIND_APPROVER) else "other"
    ts_ok = None
    if status.timestamp_validity is not None:
        tv = status.timestamp_validity
        ts_ok = tv.intact and tv.valid and tv.trusted
    if not status.intact:
        problems.append(reason("content_changed"))
    elif not status.valid:
        problems.append(reason("signature_invalid"))
    elif status.revoked:
        when = row.revoked_at.isoformat() if row is not None and row.revoked_at else "?"
        problems.append(reason("certificate_revoked", revoked_at=when))
    elif row is None:
        problems.append(reason("outside_certificate"))
    elif not status.trusted:
        indic = status.trust_problem_indic
        detail = getattr(indic, "name", str(indic)) if indic is not None else "unknown"
        problems.append(reason("untrusted_chain", detail=detail))
    if ts_ok is False:
        problems.append(reason("timestamp_invalid"))
    if status.docmdp_ok is False:
        level = status.modification_level.name if status.modification_level else "UNKNOWN"
        problems.append(reason("modified_after_signing", level=level))
    return SignatureReport(
        field=field,
        kind=kind,
        valid=not problems and status.bottom_line,
        signer=signer,
        department_name=row.department_name if row is not None else None,
        department_code=row.department_code if row is not None else code,
        serial=format(status.signing_cert.serial_number, "x"),
        intact=status.intact,
        chain_ok=status.trusted,
        signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        timestamp=ts_time.isoformat() if ts_time else None,
        timestamp_ok=ts_ok,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification_level=status.modification_level.name if status.modification_level else None,
        modifications_ok=status.docmdp_ok,
        certified=sig.docmdp_level is not None and field == "seal",
        revoked=status.revoked,
        revoked_at=row.revoked_at.isoformat() if row is not None and row.revoked_at else None,
        **_reasons(problems),
    )


def _reasons(problems: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "reason_codes": [p[0] for p in problems],
        "reasons_zh": [p[1] for p in problems],
        "reasons_en": [p[2] for p in problems],
    }


def _trust(session: Session) -> dict[str, Any]:
    ca = pki.ensure_pki(session=session)
    return {
        "roots": [pki.asn1_cert(ca.root)],
        "others": [pki.asn1_cert(ca.issuing), pki.asn1_cert(ca.tsa)],
        "crls": crl.all_current(session=session),
    }


async def verify_pdf(*, session: Session, pdf: bytes) -> VerificationReport:
    """Verify every signature of ``pdf``; bad input gives an invalid report, never an exception."""
    digest = hashlib.sha256(pdf).hexdigest()
    try:
        reader = open_pdf(pdf)
        signatures = list(reader.embedded_signatures)
    except InvalidDocument as exc:
        return invalid(digest, exc.code)
    except _PARSE_ERRORS:
        return invalid(digest, "malformed_pdf")
    if not signatures:
        return invalid(digest, "no_signature")
    trust = _trust(session)
    reports: list[SignatureReport] = []
    for sig in signatures:
        try:
            reports.append(await _check_signature(session, sig, trust))
        except _PARSE_ERRORS:
            reports.append(
                SignatureReport(
                    field=str(sig.field_name),
                    kind="other",
                    valid=False,
                    **_reasons([reason("signature_unreadable")]),
                )
            )
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
        sha256=digest,
        reason_codes=[f[0] for f in found],
    )


def verify_pdf_sync(*, session: Session, pdf: bytes) -> VerificationReport:
    """:func:`verify_pdf` for synchronous code outside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(verify_pdf(session=session, pdf=pdf))
    raise SigningError("verify_pdf_sync called inside a running event loop; await verify_pdf instead")
