"""Round trips render → seal → verify, and every tampering the issue lists, caught with the right reason."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.generic import StreamObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from signing import DocumentSpec, render_pdf, verify_pdf_sync
from signing import pki as pki_service
from signing.seal import seal_with_certificate


def _codes(report) -> list[str]:  # type: ignore[no-untyped-def]
    return list(report.reason_codes)


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_round_trip_every_level(session: Session, spec: DocumentSpec, seal, level: str, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    report = verify_pdf_sync(session=session, settings=settings, pdf=seal(render_pdf(spec), level=level))
    assert report.valid, report.reasons_en
    main = next(s for s in report.signatures if s.field == "seal")
    assert main.kind == "seal" and main.department_code == "11110000000137015K" and main.chain_ok
    assert main.certified and main.intact and not main.revoked
    assert (main.timestamp is None) == (level == "B-B")
    if level == "B-LTA":
        assert any(s.kind == "document_timestamp" and s.valid for s in report.signatures)
    if level in ("B-LT", "B-LTA"):  # the DSS (and document timestamp) come in a later revision
        assert main.modification_level == "LTA_UPDATES" and main.modifications_ok
    else:
        assert main.covers_whole_file and main.modification_level == "NONE"


def test_approver_then_seal(session: Session, spec: DocumentSpec, seal, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    report = verify_pdf_sync(session=session, settings=settings, pdf=seal(render_pdf(spec), approver_name="王五"))
    assert report.valid, report.reasons_en
    approver, main = report.signatures
    assert (approver.field, approver.kind, approver.signer) == ("approver", "approver", "王五")
    assert approver.modification_level == "FORM_FILLING" and approver.modifications_ok
    assert main.kind == "seal" and main.covers_whole_file


def test_sealing_twice_is_refused(spec: DocumentSpec, sealed: bytes, seal) -> None:  # type: ignore[no-untyped-def]
    from signing.errors import SealingFailed

    with pytest.raises(SealingFailed):
        seal(sealed)


def test_byte_flipped_in_page_content(session: Session, sealed: bytes, settings: Settings) -> None:
    data = bytearray(sealed)
    start = data.index(b"stream", data.index(b"/Filter")) + 20  # inside the first compressed stream
    data[start] ^= 0xFF
    report = verify_pdf_sync(session=session, settings=settings, pdf=bytes(data))
    assert not report.valid
    assert "content_changed" in _codes(report)


def test_byte_flipped_in_signature(session: Session, sealed: bytes, settings: Settings) -> None:
    sig = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    value = sig.signer_info["signature"].native
    hex_value = value.hex().encode()
    data = bytearray(sealed)
    at = bytes(data).lower().index(hex_value) + len(hex_value) - 4  # inside ECDSA 's'
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    report = verify_pdf_sync(session=session, settings=settings, pdf=bytes(data))
    assert not report.valid
    assert _codes(report)[0] in {"signature_invalid", "signature_unreadable"}
    assert "signature_invalid" in _codes(report)


def test_white_box_appended_after_sealing(session: Session, sealed: bytes, settings: Settings) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    cover = writer.add_object(StreamObject(stream_data=b"q 1 1 1 rg 60 420 480 300 re f Q"))
    writer.add_stream_to_page(0, cover)
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf_sync(session=session, settings=settings, pdf=out.getvalue())
    assert not report.valid
    assert "modified_after_signing" in _codes(report)
    main = report.signatures[0]
    assert main.intact and not main.covers_whole_file and main.modification_level == "OTHER"


def _outside_signer() -> signers.SimpleSigner:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "示例市行政审批局")])
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=load_private_key_from_pemder_data(pem_key, None),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )


def test_signed_by_an_outside_certificate(session: Session, spec: DocumentSpec, settings: Settings) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(render_pdf(spec)))
    out = io.BytesIO()
    meta = signers.PdfSignatureMetadata(field_name="seal", subfilter=SigSeedSubFilter.PADES)
    asyncio.run(signers.PdfSigner(meta, _outside_signer()).async_sign_pdf(writer, output=out))
    report = verify_pdf_sync(session=session, settings=settings, pdf=out.getvalue())
    assert not report.valid
    assert _codes(report)[:1] == ["outside_certificate"] and "no_department_seal" in _codes(report)


def test_revoked_before_signing_time(session: Session, sealed: bytes, settings: Settings) -> None:
    main = verify_pdf_sync(session=session, settings=settings, pdf=sealed).signatures[0]
    assert main.serial is not None and main.timestamp is not None
    # key compromise discovered later, dated an hour before the document was sealed
    pki_service.revoke(
        session=session, settings=settings, serial=main.serial, reason="key_compromise", revoked_at=utcnow() - timedelta(hours=1)
    )
    report = verify_pdf_sync(session=session, settings=settings, pdf=sealed)
    assert not report.valid
    assert "certificate_revoked" in _codes(report) and report.signatures[0].revoked


def test_revoked_after_signing_time_stays_valid(session: Session, sealed: bytes, settings: Settings) -> None:
    serial = verify_pdf_sync(session=session, settings=settings, pdf=sealed).signatures[0].serial
    assert serial is not None
    time.sleep(1.1)
    pki_service.revoke(session=session, settings=settings, serial=serial, reason="superseded")
    assert verify_pdf_sync(session=session, settings=settings, pdf=sealed).valid


def test_timestamped_seal_outlives_its_certificate(session: Session, spec: DocumentSpec, settings: Settings) -> None:
    now = utcnow()
    short = pki_service.issue_seal(
        session=session, settings=settings,
        department_name="示例市行政审批局",
        department_code="11110000000137015K",
        not_before=now - timedelta(minutes=5),
        not_after=now + timedelta(seconds=3),
    )
    pdf = render_pdf(spec)
    timestamped = asyncio.run(seal_with_certificate(session=session, settings=settings, pdf=pdf, certificate=short, level="B-T"))
    bare = asyncio.run(seal_with_certificate(session=session, settings=settings, pdf=pdf, certificate=short, level="B-B"))
    assert verify_pdf_sync(session=session, settings=settings, pdf=bare).valid
    time.sleep(max(0.0, (short.not_after - utcnow()).total_seconds()) + 1.2)
    assert verify_pdf_sync(session=session, settings=settings, pdf=timestamped).valid
    expired = verify_pdf_sync(session=session, settings=settings, pdf=bare)
    assert not expired.valid and "untrusted_chain" in _codes(expired)


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty_file"), (b"hello, not a pdf", "not_pdf"), (b"%PDF-1.7\n1 0 obj garbage", "malformed_pdf")],
)
def test_bad_inputs_get_a_verdict(session: Session, data: bytes, code: str, settings: Settings) -> None:
    report = verify_pdf_sync(session=session, settings=settings, pdf=data)
    assert not report.valid and report.reason_codes == [code] and report.reasons_zh and report.reasons_en


def test_unsigned_pdf(session: Session, spec: DocumentSpec, settings: Settings) -> None:
    report = verify_pdf_sync(session=session, settings=settings, pdf=render_pdf(spec))
    assert not report.valid and report.reason_codes == ["no_signature"]


def test_report_is_json_ready(session: Session, sealed: bytes, settings: Settings) -> None:
    import json

    body = json.loads(json.dumps(verify_pdf_sync(session=session, settings=settings, pdf=sealed).to_dict()))
    assert body["valid"] is True and body["signatures"][0]["department_code"] == "11110000000137015K"
