"""Encryption at rest (issue 8, item 4): after seeding, logging in (with the id_number scope), enrolling
TOTP, issuing and applying, a dump of the database (pg_dump on PostgreSQL, iterdump and the raw files on
SQLite) and every file of the blob directory (raw, decompressed, and the text of every PDF) contain no clear
ID number of the demo persons; the PDFs show them masked."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.runtime import runtime_of
from core.settings import Settings
from identifiers import ric
from idp.parties import service as party_service
from tests.helpers.ops_helpers import (
    DEMO_NUMBERS,
    ZHANG,
    bearer,
    birth_registration,
    business_license,
    client_person_token,
    platform_app,
    seed,
)

pytestmark = pytest.mark.slow


def _forms(number: str) -> list[bytes]:
    """Byte forms a clear number could take: ASCII (both cases of X), UTF-16 (PDF text strings), hex."""
    out = []
    for text in {number, number.lower()}:
        out += [text.encode(), text.encode("utf-16-be"), text.encode("utf-16-le"), text.encode().hex().encode()]
    return out


def _leaks(blob: bytes) -> list[str]:
    return [n for n in DEMO_NUMBERS if any(form in blob for form in _forms(n))]


@pytest.fixture
def used(settings: Settings, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The demo platform after typical use of every place a number passes through."""
    app = platform_app(settings, monkeypatch)
    seed(app)
    with TestClient(app) as client:
        token = client_person_token(client, *ZHANG)
        assert client.get("/userinfo", headers=bearer(token["access_token"])).status_code == 200
        mine = client.get("/api/wallet/licenses", headers=bearer(token["access_token"])).json()
        marriage = next(x["identifier"] for x in mine if "结婚" in x["license_type"]["name"])
        applied = client.post("/api/applications", json=birth_registration(marriage),
                              headers={**bearer(token["access_token"]), "Idempotency-Key": "at-rest-1"})
        assert applied.status_code == 201, applied.text
        dept = client.post("/token", auth=("demo-verifier", "demo-verifier-secret"),
                           data={"grant_type": "client_credentials", "scope": "license:issue"}).json()
        issued = client.post("/api/licenses", json=business_license(1), headers=bearer(dept["access_token"]))
        assert issued.status_code == 201, issued.text
    with runtime_of(app).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=DEMO_NUMBERS[1])
        assert person is not None
        party_service.set_totp(session=session, settings=settings, person=person)
        session.commit()
    runtime_of(app).engine.dispose()
    return settings


def test_pg_dump_has_no_clear_id_number(used: Settings, tmp_path: Path) -> None:
    if not used.database_url.startswith("postgresql"):
        pytest.skip("pg_dump applies to the PostgreSQL run (the SQLite run dumps with iterdump)")
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump missing (Debian postgresql-client)"
    dump = subprocess.run([pg_dump, "--no-owner", used.database_url], capture_output=True, check=True).stdout
    assert b"idp_person" in dump and b"COPY public.wallet_license" in dump  # the dump has the data
    assert _leaks(dump) == []


def test_sqlite_dump_and_files_have_no_clear_id_number(used: Settings) -> None:
    if not used.database_url.startswith("sqlite"):
        pytest.skip("iterdump applies to the SQLite run (the PostgreSQL run uses pg_dump)")
    path = Path(used.database_url.split("///", 1)[1])
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump()).encode()
    conn.close()
    assert b"INSERT INTO \"idp_person\"" in dump
    assert _leaks(dump) == []
    for file in path.parent.glob(path.name + "*"):  # the file itself and its WAL: free pages too
        assert _leaks(file.read_bytes()) == [], file


def test_blob_directory_has_no_clear_id_number(used: Settings, tmp_path: Path) -> None:
    root = Path(used.storage_url.removeprefix("file://"))
    files = [p for p in root.rglob("*") if p.is_file()]
    pdfs = [p for p in files if p.read_bytes().startswith(b"%PDF")]
    assert len(pdfs) >= 7  # the seeded licenses and the one issued
    masked_seen = set()
    for file in files:
        assert _leaks(file.read_bytes()) == [], file
    for pdf in pdfs:
        plain = tmp_path / (pdf.name + ".qdf")
        subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), str(plain)], check=False)
        assert _leaks(plain.read_bytes()) == [], pdf
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                              check=True).stdout.decode()
        assert _leaks(text.encode()) == [], pdf
        masked_seen |= {n for n in DEMO_NUMBERS if ric.mask(n) in text}
    assert masked_seen, "no masked number found in any PDF text: the extraction is not working"
