"""POST /api/wallet/verify/pdf: seal check by signing/, registry match by SHA-256, current status."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.generic import StreamObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from core.settings import Settings


def _upload(client, pdf: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/wallet/verify/pdf", files={"file": ("license.pdf", pdf, "application/pdf")})


def test_genuine_then_revoked(client, issue, catalog, local_store, kit) -> None:
    lic = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    pdf = local_store.get(lic.pdf_blob_key)
    first = _upload(client, pdf)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["valid"], body["verdict"], body["registered"]) == (True, "valid", True)
    assert body["identifier"] == lic.identifier and body["signature"]["valid"] is True
    resp = client.post(
        f"/api/licenses/{lic.identifier}/revoke",
        json={"reason": "吊销"},
        headers=kit.bearer(kit.department(kit.demo.APPROVAL)),
    )
    assert resp.status_code == 200
    after = _upload(client, pdf).json()
    assert (after["valid"], after["verdict"]) == (False, "revoked")
    assert after["signature"]["valid"] is True  # still genuinely sealed


def _tampered(pdf: bytes) -> dict[str, bytes]:
    """The tampering cases of tests/signing: content byte, signature byte, a white box appended."""
    content = bytearray(pdf)
    start = content.index(b"stream", content.index(b"/Filter")) + 20
    content[start] ^= 0xFF
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    hex_value = sig.signer_info["signature"].native.hex().encode()
    signature = bytearray(pdf)
    at = bytes(signature).lower().index(hex_value) + len(hex_value) - 4
    signature[at] = ord("0") if signature[at] != ord("0") else ord("1")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    cover = writer.add_object(StreamObject(stream_data=b"q 1 1 1 rg 60 420 480 300 re f Q"))
    writer.add_stream_to_page(0, cover)
    out = io.BytesIO()
    writer.write(out)
    return {
        "content": bytes(content),
        "signature": bytes(signature),
        "white_box": out.getvalue(),
        "garbage": b"not a pdf",
    }


def test_tampered_pdfs_are_invalid(client, issue, local_store, kit) -> None:
    lic = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    for case, bad in _tampered(local_store.get(lic.pdf_blob_key)).items():
        resp = _upload(client, bad)
        assert resp.status_code == 200, (case, resp.text)
        body = resp.json()
        assert (body["valid"], body["verdict"], body["registered"]) == (False, "invalid_signature", False), (
            case
        )


def test_unregistered_but_validly_sealed_pdf(client, catalog, kit, settings: Settings) -> None:
    import signing

    spec = signing.DocumentSpec(
        title="假证",
        holder_name="某",
        holder_number_masked="-",
        fields=[],
        issuer_name="示例市行政审批局",
        issuer_code=kit.demo.APPROVAL,
        identifier="X",
        verify_url="http://testserver/verify",
        issued_on=__import__("datetime").date(2026, 1, 1),
    )
    pdf = signing.seal_pdf_sync(
        session=catalog, settings=settings,
        pdf=signing.render_pdf(spec),
        department_name="示例市行政审批局",
        department_code=kit.demo.APPROVAL,
    )
    catalog.commit()
    body = _upload(client, pdf).json()
    assert (body["valid"], body["verdict"], body["registered"]) == (False, "not_registered", False)
