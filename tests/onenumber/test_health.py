"""/healthz and /readyz, including a readiness failure that names what is down."""

from pathlib import Path

from fastapi.testclient import TestClient

from onenumber.app import create_app
from onenumber.settings import Settings


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


def test_readyz_names_the_blob_store_when_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"storage_url": "s3://onenumber?endpoint=127.0.0.1:1&secure=false"}
    )
    with TestClient(create_app(broken)) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["blob_store"]
    assert "127.0.0.1:1" in response.json()["checks"]["blob_store"]
