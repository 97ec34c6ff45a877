"""A seal key kept on a PKCS#11 token (SoftHSM2): generated on the token, used by pyHanko's PKCS11Signer."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.settings import Settings
from signing import DocumentSpec, render_pdf, verify_pdf_sync
from signing import pki as pki_service
from signing.keys.pkcs11 import Pkcs11KeyBackend
from signing.seal import seal_with_certificate

MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pkcs11KeyBackend]:
    """A fresh SoftHSM2 token in a temporary directory, configured through ONENUMBER_PKCS11_*."""
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "onenumber-test",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("ONENUMBER_PKCS11_MODULE", MODULE)
    monkeypatch.setenv("ONENUMBER_PKCS11_TOKEN_LABEL", "onenumber-test")
    monkeypatch.setenv("ONENUMBER_PKCS11_USER_PIN", "1234")
    yield Pkcs11KeyBackend.from_settings()


def test_seal_with_a_key_on_softhsm(session: Session, spec: DocumentSpec, softhsm: Pkcs11KeyBackend, settings: Settings) -> None:
    row = pki_service.issue_seal(
        session=session, settings=settings, department_name="示例市民政局", department_code="111100000001370319", backend=softhsm
    )
    assert row.key_backend == "pkcs11" and row.key_cipher is None and row.key_ref
    pdf = asyncio.run(seal_with_certificate(session=session, settings=settings, pdf=render_pdf(spec), certificate=row))
    report = verify_pdf_sync(session=session, settings=settings, pdf=pdf)
    assert report.valid, report.reasons_en
    assert report.signatures[0].department_code == "111100000001370319"
