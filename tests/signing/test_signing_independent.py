"""Independent second opinions: poppler's pdfsig with an NSS database trusting the exported root, qpdf."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from pyhanko.pdf_utils.generic import StreamObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy.orm import Session

from core.settings import Settings
from signing import DocumentSpec, render_pdf, root_certificate_pem, verify_pdf_sync


def _nss_db(tmp_path: Path, session: Session, settings: Settings) -> str:
    db = tmp_path / "nss"
    db.mkdir()
    (tmp_path / "root.pem").write_text(root_certificate_pem(session=session, settings=settings))
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{db}"], check=True, capture_output=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-n",
            "onenumber-root",
            "-t",
            "CT,C,C",
            "-i",
            str(tmp_path / "root.pem"),
            "-d",
            f"sql:{db}",
        ],
        check=True,
        capture_output=True,
    )
    return f"sql:{db}"


def _pdfsig(nss: str, path: Path) -> str:
    result = subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True)
    return result.stdout


def test_pdfsig_and_qpdf_accept_sealed_document(
    session: Session,
    spec: DocumentSpec,
    seal,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    settings: Settings,
) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(seal(render_pdf(spec), approver_name="王五"))
    out = _pdfsig(_nss_db(tmp_path, session, settings), path)
    assert out.count("Signature is Valid.") == 2, out
    assert out.count("Certificate is Trusted.") == 2, out
    assert "Total document signed" in out
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout


def test_white_box_fools_pdfsig_but_not_us(session: Session, sealed: bytes, tmp_path: Path, settings: Settings) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.add_stream_to_page(
        0, writer.add_object(StreamObject(stream_data=b"q 1 1 1 rg 60 420 480 300 re f Q"))
    )
    out = io.BytesIO()
    writer.write(out)
    path = tmp_path / "tampered.pdf"
    path.write_bytes(out.getvalue())
    assert "Signature is Valid." in _pdfsig(_nss_db(tmp_path, session, settings), path)  # poppler's blind spot
    assert not verify_pdf_sync(session=session, settings=settings, pdf=out.getvalue()).valid
