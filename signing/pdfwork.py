"""The part of PDF verification that runs in a worker process (signing/workers.py): parse the file,
validate every signature with pyHanko against the trust material it is given, and return plain facts.

No database and no settings here: the main process gathers the trust material (:class:`Trust`, DER only)
before and looks the signing certificates up after (signing/verify.py builds the report). Whatever a
hostile file makes the parser or validator raise ends as a reason code, never as an exception: the file
as a whole is ``malformed_pdf``, one signature is ``unreadable``.
"""

from __future__ import annotations

import asyncio
import binascii
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

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

from signing.errors import InvalidDocument
from signing.seal import open_pdf

# What pyHanko, asn1crypto and the PDF parser raise on input they cannot make sense of. Beyond PdfError
# and ValueError: attribute and type errors when an object has the wrong type (/V an integer), assertion
# errors in object streams, recursion errors on deep nesting, overflow errors on huge offsets.
PDF_FAULTS: tuple[type[BaseException], ...] = (
    PdfError,
    SignatureValidationError,
    PyHankoSigningError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    AssertionError,
    ArithmeticError,
    RecursionError,
    NotImplementedError,
    MemoryError,
    EOFError,
    zlib.error,
    struct.error,
    binascii.Error,
)


@dataclass(frozen=True)
class Trust:
    """What a worker trusts: root certificates, other CA / TSA certificates, current CRLs (all DER)."""

    roots: tuple[bytes, ...]
    others: tuple[bytes, ...]
    crls: tuple[bytes, ...]


@dataclass(frozen=True)
class SignatureFacts:
    """pyHanko's findings on one signature or document timestamp, as plain values."""

    field: str
    document_timestamp: bool = False
    unreadable: bool = False
    signing_cert: bytes | None = None  # DER; the main process looks it up in the platform PKI
    signer: str | None = None  # subject common name
    subject_code: str | None = None  # organizationIdentifier without NTRCN-
    serial: str | None = None  # hex
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    revoked: bool = False
    bottom_line: bool = False
    trust_problem: str | None = None
    signing_time: str | None = None
    timestamp: str | None = None
    timestamp_ok: bool | None = None
    covers_whole_file: bool = False
    modification_level: str | None = None
    docmdp_ok: bool | None = None
    docmdp_level: bool = False  # the signature certifies the document (has a DocMDP level)


@dataclass(frozen=True)
class DocumentFacts:
    """The file as a whole: a reason code when it could not be examined, else one entry per signature."""

    problem: str | None = None
    signatures: list[SignatureFacts] = field(default_factory=list)


@lru_cache(maxsize=64)
def _cert(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)


def _context(trust: Trust, *, moment: datetime | None) -> ValidationContext:
    # A fresh context per signature: contexts cache validation results and must never be shared.
    return ValidationContext(
        trust_roots=[_cert(d) for d in trust.roots],
        other_certs=[_cert(d) for d in trust.others],
        crls=[asn1_crl.CertificateList.load(d) for d in trust.crls],
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
    name = subject.get("common_name")
    code = subject.get("organization_identifier")
    if isinstance(code, str) and code.startswith("NTRCN-"):
        code = code[len("NTRCN-") :]
    return (name if isinstance(name, str) else None), (code if isinstance(code, str) else None)


def _level(level: object) -> str | None:
    return getattr(level, "name", None) if level is not None else None


async def _check(sig: EmbeddedPdfSignature, trust: Trust) -> SignatureFacts:
    name = str(sig.field_name)
    if sig.sig_object_type == "/DocTimeStamp":
        ts = await async_validate_pdf_timestamp(sig, validation_context=_context(trust, moment=None))
        return SignatureFacts(
            field=name,
            document_timestamp=True,
            signing_cert=ts.signing_cert.dump(),
            signer=_subject(ts.signing_cert)[0],
            intact=ts.intact,
            valid=ts.valid,
            trusted=ts.trusted,
            timestamp=ts.timestamp.isoformat(),
            covers_whole_file=ts.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            modification_level=_level(ts.modification_level),
            docmdp_ok=ts.docmdp_ok,
        )
    ts_time = _timestamp_time(sig)
    status = await async_validate_pdf_signature(
        sig,
        signer_validation_context=_context(trust, moment=ts_time),
        ts_validation_context=_context(trust, moment=None),
    )
    ts_ok = None
    if status.timestamp_validity is not None:
        tv = status.timestamp_validity
        ts_ok = tv.intact and tv.valid and tv.trusted
    indic = status.trust_problem_indic
    signer, code = _subject(status.signing_cert)
    return SignatureFacts(
        field=name,
        signing_cert=status.signing_cert.dump(),
        signer=signer,
        subject_code=code,
        serial=format(status.signing_cert.serial_number, "x"),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        bottom_line=status.bottom_line,
        trust_problem=(getattr(indic, "name", str(indic)) if indic is not None else "unknown"),
        signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        timestamp=ts_time.isoformat() if ts_time else None,
        timestamp_ok=ts_ok,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification_level=_level(status.modification_level),
        docmdp_ok=status.docmdp_ok,
        docmdp_level=sig.docmdp_level is not None,
    )


async def _examine(pdf: bytes, trust: Trust) -> DocumentFacts:
    try:
        reader = open_pdf(pdf)
        signatures = list(reader.embedded_signatures)
    except InvalidDocument as exc:
        return DocumentFacts(problem=exc.code)
    except PDF_FAULTS:
        return DocumentFacts(problem="malformed_pdf")
    if not signatures:
        return DocumentFacts(problem="no_signature")
    found: list[SignatureFacts] = []
    for sig in signatures:
        try:
            name = str(sig.field_name)
        except PDF_FAULTS:
            name = "?"
        try:
            found.append(await _check(sig, trust))
        except PDF_FAULTS:
            found.append(SignatureFacts(field=name, unreadable=True))
    return DocumentFacts(signatures=found)


def examine(pdf: bytes, trust: Trust) -> DocumentFacts:
    """Parse ``pdf`` and validate each of its signatures against ``trust`` (runs in a worker process)."""
    return asyncio.run(_examine(pdf, trust))
