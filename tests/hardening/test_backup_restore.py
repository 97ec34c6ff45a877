"""Backup and restore (issue 8, item 7): seed, issue and apply; `onenumber backup DIR`; `onenumber restore DIR`
into a new empty database and blob directory (same master key); every license verifies through the registry
PDF check, the work log verifies, every table has the same rows, and the restored instance keeps working
(login, new issuance and submission: PostgreSQL sequences continue after the restored ids). A damaged
backup, a non-empty database and another master key are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core import worklog
from core.db import make_engine
from core.runtime import runtime_of
from core.settings import Settings
from onenumber import migrations
from onenumber.backup import tables
from storage.deps import BLOB_STORE
from tests.helpers.ops_helpers import (
    Instance,
    bearer,
    birth_registration,
    business_license,
    client_person_token,
    drop_database,
    new_database,
    platform_app,
    seed,
)
from wallet.licenses.models import License

pytestmark = pytest.mark.slow
MASTER_KEY = "backup-master-key-0123456789abcdef01234567"


def _settings(url: str, blobs: Path, key: str = MASTER_KEY) -> Settings:
    return Settings(env="development", database_url=url, storage_url=f"file://{blobs}", secret_key=key,
                    issuer="http://testserver")


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables()}
    finally:
        engine.dispose()


def _use(client: TestClient, n: int) -> tuple[list[str], str]:
    """Apply as 张三 and issue a license as demo-verifier; return 张三's licenses and the issued one."""
    token = client_person_token(client)["access_token"]
    mine = client.get("/api/wallet/licenses", headers=bearer(token)).json()
    marriage = next(x["identifier"] for x in mine if "结婚" in x["license_type"]["name"])
    applied = client.post("/api/applications", json=birth_registration(marriage),
                          headers={**bearer(token), "Idempotency-Key": f"backup-{n}"})
    assert applied.status_code == 201, applied.text
    dept = client.post("/token", auth=("demo-verifier", "demo-verifier-secret"),
                       data={"grant_type": "client_credentials", "scope": "license:issue"}).json()
    issued = client.post("/api/licenses", json=business_license(n), headers=bearer(dept["access_token"]))
    assert issued.status_code == 201, issued.text
    return sorted(x["identifier"] for x in mine), issued.json()["identifier"]


def test_backup_then_restore_into_an_empty_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = [new_database(tmp_path, name) for name in ("source", "target", "spare")]
    try:
        source = _settings(urls[0], tmp_path / "blobs-source")
        migrations.upgrade(source.database_url)
        app = platform_app(source, monkeypatch)
        seed(app)
        with TestClient(app) as client:
            held, _ = _use(client, 1)
        runtime_of(app).engine.dispose()
        before = _counts(source.database_url)

        backup_dir = tmp_path / "backup"
        src = Instance(source.database_url, tmp_path / "blobs-source", MASTER_KEY)
        src.cli("backup", str(backup_dir))
        manifest = json.loads((backup_dir / "manifest.json").read_text())
        assert manifest["master_key_id"] and MASTER_KEY not in (backup_dir / "manifest.json").read_text()
        assert manifest["tables"] == before and manifest["alembic_revision"]
        assert src.cli("backup", str(backup_dir), check=False).returncode == 2  # never over an old backup

        target = Instance(urls[1], tmp_path / "blobs-target", MASTER_KEY)
        assert target.cli("restore", str(backup_dir)).returncode == 0
        refused = target.cli("restore", str(backup_dir), check=False)
        assert refused.returncode == 2 and "not empty" in refused.stderr
        assert _counts(urls[1]) == before

        restored = platform_app(_settings(urls[1], tmp_path / "blobs-target"), monkeypatch)
        with runtime_of(restored).sessionmaker() as session:
            assert worklog.verify(session=session).ok
            licenses = session.execute(select(License)).scalars().all()
        with TestClient(restored) as client:
            for lic in licenses:
                pdf = runtime_of(restored).get(BLOB_STORE).get(lic.pdf_blob_key)
                check = client.post("/api/wallet/verify/pdf", files={"file": ("l.pdf", pdf, "application/pdf")})
                assert check.status_code == 200, check.text
                body = check.json()
                assert (body["verdict"], body["registered"], body["identifier"]) == ("valid", True, lic.identifier)
            again, _ = _use(client, 2)  # new rows after the restored ids (PostgreSQL sequences were reset)
        assert set(held) <= set(again)
        runtime_of(restored).engine.dispose()
        assert target.cli("worklog", "verify").returncode == 0

        _refusals(backup_dir, tmp_path, urls[2])
    finally:
        for url in urls:
            drop_database(url)


def _refusals(backup_dir: Path, tmp_path: Path, spare_url: str) -> None:
    spare = Instance(spare_url, tmp_path / "blobs-spare", MASTER_KEY)
    other_key = Instance(spare_url, tmp_path / "blobs-spare", "another-master-key-0123456789abcdef012")
    done = other_key.cli("restore", str(backup_dir), check=False)
    assert done.returncode == 2 and "master key" in done.stderr
    damaged = tmp_path / "damaged"
    shutil.copytree(backup_dir, damaged)
    blob = next((damaged / "blobs").iterdir())
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 1
    blob.write_bytes(bytes(data))
    done = spare.cli("restore", str(damaged), check=False)
    assert done.returncode == 2 and "SHA-256" in done.stderr
    assert sum(_counts_or_empty(spare_url).values()) == 0  # nothing was written


def _counts_or_empty(url: str) -> dict[str, Any]:
    from sqlalchemy import inspect

    engine = make_engine(url)
    try:
        existing = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return _counts(url) if "idp_person" in existing else {}
