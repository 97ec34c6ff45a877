"""PAdES sealing: optional approver signature first, then the department seal, which locks the document.

Levels: B-B (signature only), B-T (+ signature timestamp from the platform TSA, the default), B-LT
(+ the CRLs and certificates needed to validate it later), B-LTA (+ a document timestamp).
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from asn1crypto import crl as asn1_crl
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko_certvalidator import ValidationContext
from sqlalchemy.orm import Session

from core.settings import Settings
from signing import pki, tsa
from signing.appearance import approver_style, stamp_style
from signing.errors import InvalidDocument, InvalidParameter, SealingFailed, SigningError
from signing.models import PkiCertificate
from signing.render import APPROVER_BOX, APPROVER_FIELD, SEAL_BOX, SEAL_FIELD

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
# (certificate fingerprint, level) -> signature container size pyHanko estimated for it (with its 50 % margin)
_reserved: dict[tuple[str, str], int | None] = {}


def open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer over ``pdf`` (its reader is ``.prev``), with open_pdf's checks."""
    reader = open_pdf(pdf)
    writer = IncrementalPdfFileWriter.from_reader(reader)
    return writer


def open_pdf(pdf: bytes) -> PdfFileReader:
    """Parse ``pdf``, refusing empty, malformed and encrypted files with a clear error."""
    if not pdf:
        raise InvalidDocument("the file is empty", field="file", code="empty_file")
    if b"%PDF-" not in pdf[:1024]:
        raise InvalidDocument("the file is not a PDF", field="file", code="not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        encrypted = reader.encrypted
        reader.root  # noqa: B018 - resolve the catalog now so broken files fail here
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InvalidDocument(f"the PDF cannot be parsed: {exc}", field="file", code="malformed_pdf") from exc
    if encrypted:
        raise InvalidDocument("the PDF is encrypted", field="file", code="encrypted_pdf")
    return reader


def validation_context(*, session: Session, settings: Settings) -> ValidationContext:
    """A fresh context trusting only the platform root, with the platform's current CRLs."""
    ca = pki.ensure_pki(session=session, settings=settings)
    return ValidationContext(
        trust_roots=[pki.asn1_cert(ca.root)],
        other_certs=[pki.asn1_cert(ca.issuing)],
        crls=[asn1_crl.CertificateList.load(der) for der in pki.current_crls(session=session, settings=settings)],
        allow_fetching=False,
        revocation_mode="hard-fail",
    )


def _existing_fields(reader: PdfFileReader) -> dict[str, bool]:
    """Signature field name → already signed."""
    return {name: value is not None for name, value, _ in fields.enumerate_sig_fields(reader)}


async def _sign(
    *,
    session: Session,
    settings: Settings,
    pdf: bytes,
    row: PkiCertificate,
    field_name: str,
    field_spec: SigFieldSpec,
    style: Any,
    level: str,
    certify: bool | None,
    reason: str,
    name: str,
) -> bytes:
    writer = open_writer(pdf)
    existing = _existing_fields(writer.prev)
    if existing.get(field_name):
        raise SealingFailed(f"the {field_name} field is already signed", field=field_name)
    if certify is None:  # certify only as the first signature (ISO 32000-2 §12.8.2.2)
        certify = not any(existing.values())
    lt = level in ("B-LT", "B-LTA")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=MDPPerm.NO_CHANGES if field_name == SEAL_FIELD else MDPPerm.FILL_FORMS,
        reason=reason,
        name=name,
        embed_validation_info=lt,
        use_pades_lta=level == "B-LTA",
        validation_context=validation_context(session=session, settings=settings) if lt else None,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        pki.signer_for(session=session, settings=settings, row=row),
        timestamper=None if level == "B-B" else tsa.timestamper(session=session, settings=settings),
        stamp_style=style,
        new_field_spec=None if field_name in existing else field_spec,
    )
    # pyHanko sizes the signature container with a dry-run signature (a third of the sealing time);
    # for one certificate at B-B/B-T that size is the same every time, so it is estimated once.
    size_key = (row.fingerprint, level) if level in ("B-B", "B-T") else None
    reserved = _reserved.get(size_key) if size_key is not None else None
    out = io.BytesIO()
    try:
        await pdf_signer.async_sign_pdf(writer, output=out, bytes_reserved=reserved)
    except PyHankoSigningError as exc:
        if reserved is None or size_key is None:
            raise SealingFailed(f"pyHanko refused to sign: {exc}", field=field_name) from exc
        # The container outgrew the remembered size (a new TSA certificate?): estimate again.
        _reserved.pop(size_key, None)
        return await _sign(session=session, settings=settings, pdf=pdf, row=row, field_name=field_name, field_spec=field_spec,
                           style=style, level=level, certify=certify, reason=reason, name=name)
    signed = out.getvalue()
    if size_key is not None and reserved is None:
        _reserved[size_key] = _reserved_size(signed, field_name)
    return signed


def _reserved_size(signed: bytes, field_name: str) -> int | None:
    """``bytes_reserved`` pyHanko chose for the signature in ``field_name`` (hex digits of /Contents)."""
    for sig in PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures:
        if sig.field_name == field_name:
            return len(sig.sig_object["/Contents"]) * 2
    return None


async def seal_pdf(
    *,
    session: Session,
    settings: Settings,
    pdf: bytes,
    department_name: str,
    department_code: str,
    purpose: str = "行政审批专用章",
    approver_name: str | None = None,
    level: str = "B-T",
) -> bytes:
    """Seal ``pdf`` with the department's electronic seal (issued on first use), after an optional
    approver signature. The seal locks the document: any later change invalidates it."""
    if level not in LEVELS:
        raise InvalidParameter(f"level must be one of {', '.join(LEVELS)}", field="level")
    purpose = purpose.strip()
    if not purpose or len(purpose) > 12:
        raise InvalidParameter("purpose must be 1–12 characters", field="purpose")
    seal_row = pki.current_seal(
        session=session, settings=settings, department_name=department_name, department_code=department_code
    )
    if approver_name:
        approver_row = pki.current_approver(
            session=session, settings=settings,
            person_name=approver_name,
            department_name=department_name,
            department_code=department_code,
        )
        width, height = APPROVER_BOX[2] - APPROVER_BOX[0], APPROVER_BOX[3] - APPROVER_BOX[1]
        pdf = await _sign(
            session=session, settings=settings,
            pdf=pdf,
            row=approver_row,
            field_name=APPROVER_FIELD,
            field_spec=SigFieldSpec(APPROVER_FIELD, on_page=0, box=APPROVER_BOX),
            style=approver_style(person_name=approver_name.strip(), width=width, height=height),
            level=level,
            certify=False,
            reason="审批 approval",
            name=approver_name.strip(),
        )
    # A certification signature must come first; after an approver it is an approval signature whose
    # field /Lock (P=1, all fields) gives the same protection.
    return await _sign(
        session=session, settings=settings,
        pdf=pdf,
        row=seal_row,
        field_name=SEAL_FIELD,
        field_spec=SigFieldSpec(
            SEAL_FIELD,
            on_page=0,
            box=SEAL_BOX,
            field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
            doc_mdp_update_value=MDPPerm.NO_CHANGES,
        ),
        style=stamp_style(department_name=seal_row.department_name or department_name, purpose=purpose),
        level=level,
        certify=None,
        reason=purpose,
        name=seal_row.department_name or department_name,
    )


def seal_pdf_sync(
    *,
    session: Session,
    settings: Settings,
    pdf: bytes,
    department_name: str,
    department_code: str,
    purpose: str = "行政审批专用章",
    approver_name: str | None = None,
    level: str = "B-T",
) -> bytes:
    """:func:`seal_pdf` for synchronous code running outside an event loop (e.g. a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(seal_pdf(session=session, settings=settings, pdf=pdf, department_name=department_name,
                                    department_code=department_code, purpose=purpose, approver_name=approver_name,
                                    level=level))
    raise SigningError("seal_pdf_sync called inside a running event loop; await seal_pdf instead")


async def seal_with_certificate(
    *,
    session: Session,
    settings: Settings,
    pdf: bytes,
    certificate: PkiCertificate,
    purpose: str = "行政审批专用章",
    level: str = "B-T",
) -> bytes:
    """Seal with a given certificate row (an HSM-held seal, or a specific older certificate)."""
    if level not in LEVELS:
        raise InvalidParameter(f"level must be one of {', '.join(LEVELS)}", field="level")
    name = certificate.department_name or certificate.subject
    return await _sign(
        session=session, settings=settings,
        pdf=pdf,
        row=certificate,
        field_name=SEAL_FIELD,
        field_spec=SigFieldSpec(
            SEAL_FIELD,
            on_page=0,
            box=SEAL_BOX,
            field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
            doc_mdp_update_value=MDPPerm.NO_CHANGES,
        ),
        style=stamp_style(department_name=name, purpose=purpose),
        level=level,
        certify=None,
        reason=purpose,
        name=name,
    )
