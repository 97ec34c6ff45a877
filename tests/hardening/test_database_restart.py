"""A PostgreSQL restart under a running server (issue 15, item 7): while the database is down every answer is
503 ``temporarily_unavailable`` in the published error shape with ``Retry-After`` (never a bare text/plain
500 or a dropped connection), and once it is back the same server process answers normally again — its
pool reconnects without a restart.

The test runs its own PostgreSQL cluster (tools/pg.sh) so that it can stop and start it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.helpers.ops_helpers import ROOT, Instance, free_port, stop

pytestmark = pytest.mark.slow
MASTER_KEY = "pg-restart-master-key-0123456789abcdef"
MISSING = "/api/licenses/1.2.156.3005.2.11100000000000000X.001.20260101.A/status"


def _pg(*args: str) -> None:
    subprocess.run(["bash", str(ROOT / "tools" / "pg.sh"), *args], check=True, timeout=120)


@pytest.fixture
def cluster() -> Iterator[tuple[str, str, int]]:
    """A PostgreSQL cluster of this test's own: (data dir, URL, port)."""
    work = tempfile.mkdtemp(prefix="onenumber-pg-restart.")
    os.chmod(work, 0o755)  # the server runs as the postgres user when the tests run as root
    data, port = f"{work}/data", free_port()
    _pg("start", data, str(port))
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE restart")
        yield data, f"postgresql://postgres@127.0.0.1:{port}/restart", port
    finally:
        _pg("stop", data)
        shutil.rmtree(work, ignore_errors=True)


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.headers.get("content-type"), response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.json()["error"] == "temporarily_unavailable", response.text
    assert int(response.headers["Retry-After"]) > 0


def test_postgresql_restart_gives_503_then_recovers(cluster: tuple[str, str, int], tmp_path: Path) -> None:
    data, url, port = cluster
    instance = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    instance.cli("db", "upgrade")
    instance.cli("clients", "add", "restart-check", "--kind", "department", "--grant-types", "client_credentials",
                 "--scopes", "license:verify", "--secret", "restart-check-secret-0123456789",
                 "--department-code", "11110000000245016J")
    server = instance.serve(tmp_path / "server.log", ONENUMBER_WORKLOG_SEAL_INTERVAL="0")
    token_form = {"grant_type": "client_credentials", "client_id": "restart-check",
                  "client_secret": "restart-check-secret-0123456789", "scope": "license:verify"}
    try:
        with httpx.Client(base_url=instance.url, timeout=30) as client:
            # warm: the pool holds connections that the restart will kill
            for _ in range(3):
                assert client.get(MISSING).status_code == 404
            assert client.post("/token", data=token_form).status_code == 200
            _pg("stop", data)
            for _ in range(3):  # pooled connections are dead, then new ones are refused
                _unavailable(client.get(MISSING))
                _unavailable(client.post("/token", data=token_form))
            health = client.get("/healthz")
            assert health.status_code == 200, health.text  # the process itself is alive
            _pg("start", data, str(port))
            deadline, last = time.monotonic() + 30, None
            while time.monotonic() < deadline:
                last = client.get(MISSING)
                if last.status_code == 404:
                    break
                _unavailable(last)
                time.sleep(0.2)
            assert last is not None and last.status_code == 404, "the server did not reconnect"
            assert last.json()["error"] == "license_not_found"
            assert client.post("/token", data=token_form).status_code == 200
    finally:
        stop(server)
