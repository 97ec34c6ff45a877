"""HTTP: PKI downloads, the RFC 3161 endpoint checked by ``openssl ts -verify``, PDF verification uploads."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.runtime import runtime_of
from core.settings import Settings
from signing import DocumentSpec, render_pdf, service
from signing.models import PkiCertificate


def test_pki_downloads(signing_client: TestClient) -> None:
    pem = signing_client.get("/pki/root.pem")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN CERTIFICATE-----")
    root = x509.load_der_x509_certificate(signing_client.get("/pki/root.der").content)
    assert root == x509.load_pem_x509_certificate(pem.content)
    ca = x509.load_der_x509_certificate(signing_client.get("/pki/ca.der").content)
    for path, issuer in (("/pki/crl.der", ca), ("/pki/root-crl.der", root)):
        response = signing_client.get(path)
        assert response.headers["content-type"] == "application/pkix-crl"
        assert x509.load_der_x509_crl(response.content).is_signature_valid(issuer.public_key())  # type: ignore[arg-type]


def test_tsa_token_accepted_by_openssl(signing_client: TestClient, session: Session, tmp_path: Path, settings: Settings) -> None:
    data = tmp_path / "data.txt"
    data.write_text("一号通办")
    query = tmp_path / "q.tsq"
    subprocess.run(
        ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
        check=True,
        capture_output=True,
    )
    response = signing_client.post(
        "/tsa", content=query.read_bytes(), headers={"Content-Type": "application/timestamp-query"}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "r.tsr").write_bytes(response.content)
    (tmp_path / "chain.pem").write_text(service.chain_pem(session=session, settings=settings))
    from cryptography.hazmat.primitives.serialization import Encoding

    from signing import pki

    (tmp_path / "tsa.pem").write_bytes(
        pki.crypto_cert(pki.ensure_pki(session=session, settings=settings).tsa).public_bytes(Encoding.PEM)
    )
    result = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            "r.tsr",
            "-queryfile",
            "q.tsq",
            "-CAfile",
            "chain.pem",
            "-untrusted",
            "tsa.pem",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr


def test_tsa_rejects_garbage_with_a_reply(signing_client: TestClient) -> None:
    from asn1crypto import core, tsp

    response = signing_client.post(
        "/tsa", content=b"not asn1", headers={"Content-Type": "application/timestamp-query"}
    )
    assert response.status_code == 200
    status = core.Sequence.load(response.content)[0].untag()
    assert tsp.PKIStatusInfo.load(status.dump())["status"].native == "rejection"
    wrong = signing_client.post("/tsa", content=b"x", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415 and wrong.json()["error"] == "unsupported_media_type"


def _upload(client: TestClient, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/verify/pdf", files={"file": ("doc.pdf", data, "application/pdf")})


def test_verify_upload_valid(signing_client: TestClient, sealed: bytes) -> None:
    response = _upload(signing_client, sealed)
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True and body["signatures"][0]["kind"] == "seal"


def test_verify_upload_bad_inputs(signing_client: TestClient, spec: DocumentSpec, tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(render_pdf(spec))
    subprocess.run(
        ["qpdf", "--encrypt", "", "owner", "256", "--", str(plain), str(tmp_path / "enc.pdf")], check=True
    )
    cases = {
        b"": "empty_file",
        b"GIF89a....": "not_pdf",
        (tmp_path / "enc.pdf").read_bytes(): "encrypted_pdf",
        plain.read_bytes(): "no_signature",
    }
    for data, code in cases.items():
        response = _upload(signing_client, data)
        assert response.status_code == 200, code
        assert response.json()["valid"] is False and response.json()["reason_codes"] == [code]


def test_verify_upload_over_limit(signing_client: TestClient, settings: Settings, session: Session) -> None:
    runtime_of(signing_client.app).settings = settings.model_copy(update={"upload_limit_bytes": 1000})  # type: ignore[attr-defined]
    count = session.scalar(select(func.count()).select_from(PkiCertificate))
    response = _upload(signing_client, b"%PDF-1.7\n" + b"0" * 5000)
    assert response.status_code == 413
    assert response.json() == {
        "error": "upload_too_large",
        "detail": "the upload exceeds the limit of 1000 bytes",
        "field": "file",
    }
    assert session.scalar(select(func.count()).select_from(PkiCertificate)) == count
