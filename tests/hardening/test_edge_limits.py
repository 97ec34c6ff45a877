"""Edge limits and faults (issues 15 and 16): body caps, session fixation, database outage, proxy headers.

The body caps and the proxy-header handling are driven over real HTTP against ``onenumber serve``; the
session-fixation and database-outage cases through the whole ASGI app.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from onenumber.app import create_app
from tests.helpers.ops_helpers import Instance, drop_database, free_port, new_database, stop

MASTER_KEY = "edge-limits-master-key-0123456789abcdef"


@pytest.fixture
def edge_server(tmp_path: Path) -> Iterator[str]:
    """``onenumber serve`` on a fresh migrated database, believing X-Forwarded-* from 127.0.0.1 only."""
    instance = Instance(database_url=new_database(tmp_path), blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    try:
        instance.cli("db", "upgrade")
        server = instance.serve(tmp_path / "server.log", "--forwarded-allow-ips", "127.0.0.1",
                                ONENUMBER_RATE_LIMIT_VERIFY_PER_MINUTE="2")
        try:
            yield instance.url
        finally:
            stop(server)
    finally:
        drop_database(instance.database_url)


def _too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, (response.status_code, response.text[:300])
    body = response.json()
    assert body["error"] == "too_large" and "1048576" in body["detail"], body


def test_oversize_bodies_are_refused_before_parsing(edge_server: str) -> None:
    big = b"grant_type=client_credentials&pad=" + b"a" * (3 * 1024 * 1024)
    with httpx.Client(base_url=edge_server, timeout=30) as http:
        # declared length over the cap
        _too_large(http.post("/token", content=big,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}))

        # chunked (no Content-Length): counted while it arrives
        def chunks() -> Iterator[bytes]:
            for i in range(0, len(big), 64 * 1024):
                yield big[i:i + 64 * 1024]

        _too_large(http.post("/token", content=chunks(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"}))
        _too_large(http.post("/api/verify/presentation", content=b'{"token":"' + b"x" * 2_000_000 + b'"}',
                             headers={"Content-Type": "application/json"}))
        # a multipart upload under the upload limit passes the cap (and is judged as a PDF, not refused)
        upload = http.post("/api/verify/pdf", files={"file": ("a.pdf", b"%PDF-1.7\n" + b"0" * 3_000_000)},
                           headers={"X-Forwarded-For": "198.51.100.77"})
        assert upload.status_code != 413, upload.text[:300]
        # ordinary small bodies still work, and the server is healthy
        ok = http.post("/token", data={"grant_type": "client_credentials"}, auth=("nobody", "wrong"))
        assert ok.status_code == 401 and ok.json()["error"] == "invalid_client"
        assert http.get("/healthz").status_code == 200


def test_forwarded_client_address_is_believed_from_the_balancer(edge_server: str) -> None:
    """Behind the balancer (127.0.0.1 here) each client has its own budget, not the balancer's one."""
    with httpx.Client(base_url=edge_server, timeout=30) as http:
        def verify(address: str) -> int:
            return http.post("/api/verify/presentation", json={"token": "x.y.z"},
                             headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}).status_code

        first = [verify("203.0.113.10") for _ in range(2)]
        assert 429 not in first, first
        assert verify("203.0.113.10") == 429
        assert verify("203.0.113.11") != 429  # another citizen behind the same balancer is not affected


def test_production_serve_refuses_without_proxy_or_tls(tmp_path: Path) -> None:
    instance = Instance(database_url=f"sqlite:///{tmp_path / 'p.db'}", blob_dir=tmp_path / "blobs",
                        secret_key=MASTER_KEY, port=free_port())
    env = instance.env(ONENUMBER_ENV="production", ONENUMBER_ISSUER="https://onenumber.example",
                       ONENUMBER_S3_SECRET_KEY="s3-secret-not-the-default-0123456789")
    done = instance.cli("serve", "--port", str(instance.port), check=False, env=env)
    assert done.returncode == 2, (done.returncode, done.stderr[-1000:])
    assert "ONENUMBER_FORWARDED_ALLOW_IPS" in done.stderr


ZHANG = ("11010519491231002X", "Zhangsan-2026")  # the seeded demo account (README)


def test_planted_hall_session_does_not_survive_login(world: Any, world_tools: Any, app: Any) -> None:
    """Session fixation: a hall cookie planted before login names nothing once the victim has signed in."""
    attacker = TestClient(app)
    attacker.get("/hall/login", follow_redirects=False)
    planted = attacker.cookies.get("hall_session")
    assert planted, "the attacker should get a pre-login session cookie to plant"
    victim = TestClient(app)
    host = "testserver.local"  # where the app's own Set-Cookie lands in the client's jar
    victim.cookies.set("wallet_csrf", "planted-csrf-token", domain=host)
    victim.cookies.set("idp_csrf", "planted-csrf-token", domain=host)
    victim.cookies.set("hall_session", planted, domain=host)
    world_tools.hall_login(victim, *ZHANG)
    mine = victim.cookies.get("hall_session")
    assert mine and mine != planted
    page = victim.get("/hall/licenses", follow_redirects=False)
    assert page.status_code == 200, page.status_code
    # the planted cookie is dead: the attacker is not signed in as the victim
    stolen = attacker.get("/hall/licenses", follow_redirects=False)
    assert stolen.status_code in (302, 303) and "/hall/login" in stolen.headers["location"], stolen.status_code
    # and the CSRF token was renewed at login
    assert victim.cookies.get("wallet_csrf") != "planted-csrf-token"


def test_database_outage_answers_503_with_retry_after(settings: Settings, tmp_path: Path) -> None:
    """Nothing listens where the database should be: 503 temporarily_unavailable, never a bare 500."""
    away = settings.model_copy(update={"database_url": f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/gone",
                                       "worklog_seal_interval": 0})
    with TestClient(create_app(away), raise_server_exceptions=False) as client:
        for path in ("/api/licenses/1.2.156.3005.2.11100000000000000X.001.20260101.A/status",
                     "/api/applications/status?serial=X&code=Y"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.status_code, response.text[:300])
            assert response.json()["error"] == "temporarily_unavailable"
            assert int(response.headers["Retry-After"]) > 0
            assert "127.0.0.1" not in response.text
