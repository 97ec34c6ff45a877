"""/healthz and /readyz, including a readiness failure that names what is down."""

from pathlib import Path

from fastapi.testclient import TestClient

from core.settings import Settings
from onenumber.app import create_app


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "blob_store": "ok"}


def test_readyz_names_the_database_when_down(settings: Settings, tmp_path: Path) -> None:
    broken = settings.model_copy(update={"database_url": "postgresql://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(broken)) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"] and body["checks"]["blob_store"] == "ok"


def test_blob_store_down_degrades_but_keeps_the_instance_ready(settings: Settings) -> None:
    """S3 down: /readyz stays 200 (login and tokens still work: the balancer keeps the instance) and says
    what is degraded; the store's address is not told to the public."""
    broken = settings.model_copy(
        update={"storage_url": "s3://onenumber?endpoint=127.0.0.1:1&secure=false"}
    )
    with TestClient(create_app(broken)) as c:
        response = c.get("/readyz")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "degraded" and body["down"] == ["blob_store"]
        assert "license_downloads" in body["unavailable_features"]
        assert "127.0.0.1:1" not in response.text
        # and the idp still serves its discovery and login page
        assert c.get("/.well-known/openid-configuration").status_code == 200
        assert c.get("/login").status_code in (200, 400)
