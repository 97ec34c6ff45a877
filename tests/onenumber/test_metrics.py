"""/metrics (core/metrics.py): parses, moves with requests, labels by route template, allowed networks only;
the request id of every answer (X-Request-ID) and of the work-log entries a request writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from core.metrics import MULTIPROC_VARIABLE, may_scrape, prepare_worker_directory
from core.runtime import runtime_of
from core.settings import Settings
from core.worklog.models import WorkLogEntry
from onenumber.app import create_app
from tests.helpers.idp_helpers import csrf_of, exchange, login_code
from tests.helpers.ops_helpers import ZHANG, seed

LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def seeded(settings: Settings) -> Iterator[TestClient]:
    """The whole app on the demo data, reached from loopback."""
    app = create_app(settings)
    seed(app)
    with TestClient(app, client=LOOPBACK) as c:
        yield c


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels (the exposition must parse)."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    """One sample (0 when absent: a counter that has not moved yet)."""
    wanted = tuple(sorted(labels.items()))
    return samples.get((name, wanted), 0.0)


def test_counters_move_with_requests_by_route_template(seeded: TestClient) -> None:
    before = scrape(seeded)
    for _ in range(3):
        assert seeded.get("/jwks.json").status_code == 200
    assert seeded.get("/api/licenses/11010519491231002X/nothing").status_code == 404
    code, verifier = login_code(seeded)  # a password login through the idp pages
    assert exchange(seeded, code, verifier).status_code == 200
    credentials = seeded.post("/token", auth=("demo-verifier", "demo-verifier-secret"),
                              data={"grant_type": "client_credentials", "scope": "license:verify"})
    assert credentials.status_code == 200, credentials.text
    bad = seeded.post("/api/verify/presentation", json={"token": "not-a-token"})
    assert bad.status_code == 400
    after = scrape(seeded)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    jwks = {"method": "GET", "route": "/jwks.json", "status": "2xx"}
    assert moved("onenumber_http_requests_total", **jwks) == 3
    assert moved("onenumber_http_request_duration_seconds_count", **jwks) == 3
    assert value(after, "onenumber_http_request_duration_seconds_sum", **jwks) > 0
    assert moved("onenumber_http_requests_total", method="GET", route="unmatched", status="4xx") == 1
    assert moved("onenumber_logins_total", outcome="success") == 1
    assert moved("onenumber_tokens_issued_total", grant_type="authorization_code") == 1
    assert moved("onenumber_tokens_issued_total", grant_type="client_credentials") == 1
    assert moved("onenumber_verifications_total", kind="presentation", result="invalid") == 1
    assert moved("onenumber_http_requests_total", method="POST", route="/token", status="2xx") == 2
    pool = [v for (name, _), v in after.items() if name == "onenumber_db_pool_checked_out"]
    assert len(pool) == 1 and pool[0] >= 0
    assert any(name == "onenumber_invalidation_received_total" for name, _ in after)
    text = seeded.get("/metrics").text
    # route templates, never URLs: the unmatched path and its ID number appear nowhere
    assert "11010519491231002X" not in text and "/nothing" not in text and 'route="unmatched"' in text


def test_request_id_echoed_and_written_into_the_work_log(seeded: TestClient) -> None:
    answer = seeded.post("/token", auth=("demo-verifier", "demo-verifier-secret"),
                         headers={"X-Request-ID": "trace-2026.05_01-a"},
                         data={"grant_type": "client_credentials", "scope": "license:verify"})
    assert answer.status_code == 200 and answer.headers["x-request-id"] == "trace-2026.05_01-a"
    made = seeded.get("/healthz").headers["x-request-id"]
    assert len(made) == 32 and made != seeded.get("/healthz").headers["x-request-id"]
    with runtime_of(seeded.app).sessionmaker() as session:
        entries = session.scalars(select(WorkLogEntry).where(WorkLogEntry.action == "token.issue")).all()
    assert [e.details.get("request_id") for e in entries] == ["trace-2026.05_01-a"]


@pytest.mark.parametrize("hostile", ["a" * 65, "two words", "<script>", "x;y", "11010519491231002X", "é"])
def test_a_hostile_request_id_is_replaced(seeded: TestClient, hostile: str) -> None:
    answer = seeded.get("/healthz", headers=[(b"X-Request-ID", hostile.encode("utf-8"))])
    returned = answer.headers["x-request-id"]
    assert returned != hostile and len(returned) == 32 and returned.isalnum()


def test_metrics_refused_outside_the_allowed_networks(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_allow": "10.0.0.0/8, 2001:db8::/32"}))
    with TestClient(app, client=LOOPBACK) as c:
        refused = c.get("/metrics")
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
        assert "onenumber_http" not in refused.text
        assert "/metrics" not in c.get("/openapi.json").json()["paths"]
    with TestClient(create_app(settings.model_copy(update={"metrics_allow": ""})), client=("10.1.2.3", 1)) as c:
        assert c.get("/metrics").status_code == 403  # an empty list allows nobody
    with TestClient(create_app(settings)) as c:  # the test client's address is a name, not an IP
        assert c.get("/metrics").status_code == 403


def test_allow_list_matching() -> None:
    default = Settings().metrics_allow
    for address in ("127.0.0.1", "::1", "10.4.5.6", "172.20.0.3", "192.168.1.1", "::ffff:10.0.0.7", "fd00::1"):
        assert may_scrape(address, default), address
    for address in ("8.8.8.8", "172.32.0.1", "2001:db8::1", None, "", "testclient", "::ffff:8.8.8.8"):
        assert not may_scrape(address, default), address
    with pytest.raises(ValueError, match="not-a-net"):
        may_scrape("10.0.0.1", "10.0.0.0/8,not-a-net")


def test_login_failures_are_counted(seeded: TestClient) -> None:
    before = value(scrape(seeded), "onenumber_logins_total", outcome="failure")
    page = seeded.get("/login")
    failed = seeded.post("/login", data={"csrf": csrf_of(page.text), "number": ZHANG[0], "password": "wrong"})
    assert failed.status_code == 401
    assert value(scrape(seeded), "onenumber_logins_total", outcome="failure") == before + 1


def test_the_dashboard_draws_only_exposed_metrics(seeded: TestClient) -> None:
    # by family (a labelled counter has no sample before its first event, but its family is exposed)
    families = {family.name for family in text_string_to_metric_families(seeded.get("/metrics").text)}
    exposed = {family + suffix for family in families for suffix in ("", "_total", "_bucket", "_sum", "_count")}
    dashboard = (Path(__file__).resolve().parents[2] / "docs" / "grafana-onenumber.json").read_text(encoding="utf-8")
    drawn = set(re.findall(r"onenumber_[a-z_]+", dashboard))
    assert drawn and drawn <= exposed, drawn - exposed


def test_several_workers_share_a_fresh_metrics_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_VARIABLE, raising=False)
    assert prepare_worker_directory(1) is None and MULTIPROC_VARIABLE not in os.environ
    (tmp_path / "counter_1.db").write_bytes(b"stale")
    monkeypatch.setenv(MULTIPROC_VARIABLE, str(tmp_path))
    assert prepare_worker_directory(2) == str(tmp_path) and not list(tmp_path.glob("*.db"))
