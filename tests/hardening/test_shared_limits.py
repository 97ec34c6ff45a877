"""Rate limits shared by two instances through one Redis (issue 16, item 6): hitting A then B stops at the
configured limit, not twice it; with Redis killed a login answers 503 + Retry-After while a public read still
works and ``/readyz`` says what degrades; with Redis back everything is normal again.

Two real server processes (``onenumber serve``) on one database (PostgreSQL when ONENUMBER_TEST_DATABASE_URL
is set, else one SQLite file) and one real redis-server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from tests.helpers.ops_helpers import Instance, drop_database, free_port, new_database, stop
from tests.helpers.redis_helpers import RedisServer

pytestmark = pytest.mark.slow
READY_TIMEOUT = 120
MASTER_KEY = "shared-limits-master-key-0123456789abcdef"
LOGIN_LIMIT = 3
VERIFY_LIMIT = 4
LOGIN_FORM = {"number": "110101198001010013", "password": "wrong-password", "csrf": "x"}
STATUS_PATH = "/api/licenses/1.2.156.3005.2.X.Y.Z.1.A/status"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, RedisServer]]:
    tmp_path = tmp_path_factory.mktemp("shared-limits")
    redis_server = RedisServer(tmp_path / "redis", password="shared-limits-redis-password")
    redis_server.start()
    url = new_database(tmp_path)
    a = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    b = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    env = {
        "ONENUMBER_REDIS_URL": redis_server.url,
        "ONENUMBER_RATE_LIMIT_LOGIN_PER_MINUTE": str(LOGIN_LIMIT),
        "ONENUMBER_RATE_LIMIT_VERIFY_PER_MINUTE": str(VERIFY_LIMIT),
        "ONENUMBER_RATE_LIMIT_STATUS_PER_MINUTE": "1000",
        "ONENUMBER_WORKLOG_SEAL_INTERVAL": "0",
        "ONENUMBER_PURGE_INTERVAL": "0",
    }
    servers = []
    try:
        a.cli("db", "upgrade")
        a.port, b.port = free_port(), free_port()
        # side by side, with time to spare: a busy machine takes tens of seconds to import and build the app
        with ThreadPoolExecutor(2) as pool:
            starts = [
                pool.submit(a.serve, tmp_path / "a.log", ready_timeout=READY_TIMEOUT, **env),
                pool.submit(b.serve, tmp_path / "b.log", ready_timeout=READY_TIMEOUT, **env, ONENUMBER_ISSUER=a.url),
            ]
        servers.extend(start.result() for start in starts if start.exception() is None)  # stopped below
        for start in starts:
            if start.exception() is not None:
                raise AssertionError("an instance did not start") from start.exception()
        yield a.url, b.url, redis_server
    finally:
        for server in servers:
            stop(server)
        drop_database(url)
        redis_server.stop()


@pytest.fixture
def pair(world: tuple[str, str, RedisServer]) -> Iterator[tuple[str, str, RedisServer]]:
    """The two instances with empty buckets (Redis flushed) and Redis up."""
    a, b, redis_server = world
    if redis_server.proc is None:
        redis_server.start()
    flush(redis_server)
    yield a, b, redis_server
    if redis_server.proc is None:
        redis_server.start()


def flush(redis_server: RedisServer) -> None:
    redis.Redis.from_url(redis_server.url).flushall()


def _ready(base: str) -> httpx.Response:
    return httpx.get(base + "/readyz", timeout=10)


def test_the_limit_is_global_across_instances(pair: tuple[str, str, RedisServer]) -> None:
    a, b, _ = pair
    logins = [httpx.post((a, b)[n % 2] + "/login", data=LOGIN_FORM, timeout=30) for n in range(2 * LOGIN_LIMIT)]
    codes = [r.status_code for r in logins]
    assert sum(c != 429 for c in codes) == LOGIN_LIMIT, codes  # not 2 × the limit
    assert codes[LOGIN_LIMIT:] == [429] * LOGIN_LIMIT, codes
    refused = logins[-1]
    assert refused.headers["content-type"].startswith("text/html") and 1 <= int(refused.headers["Retry-After"]) <= 60
    verify = [
        httpx.post((b, a)[n % 2] + "/api/verify/presentation", json={"token": "x.y.z"}, timeout=30)
        for n in range(2 * VERIFY_LIMIT)
    ]
    codes = [r.status_code for r in verify]
    assert sum(c != 429 for c in codes) == VERIFY_LIMIT, codes
    assert verify[-1].json() == {"error": "rate_limited", "detail": verify[-1].json()["detail"], "field": None}


def test_redis_down_fails_closed_for_logins_and_open_for_reads(pair: tuple[str, str, RedisServer]) -> None:
    a, b, redis_server = pair
    assert _ready(a).json()["checks"]["redis"] == "ok"
    redis_server.kill()
    for base in (a, b):
        login = httpx.post(base + "/login", data=LOGIN_FORM, timeout=30)
        assert login.status_code == 503, login.text
        assert int(login.headers["Retry-After"]) >= 1 and "服务暂时不可用" in login.text
        reset = httpx.post(base + "/password-reset", data={"number": LOGIN_FORM["number"]}, timeout=30)
        assert reset.status_code == 503 and "Retry-After" in reset.headers
        # a public read still works, beyond its limit even (fail open: the limit is lifted, not the service)
        reads = [httpx.get(base + STATUS_PATH, timeout=30) for _ in range(3)]
        assert all(r.status_code == 404 and r.json()["error"] != "temporarily_unavailable" for r in reads), [
            (r.status_code, r.text) for r in reads
        ]
        verify = [
            httpx.post(base + "/api/verify/presentation", json={"token": "x.y.z"}, timeout=30) for _ in range(VERIFY_LIMIT + 2)
        ]
        assert all(r.status_code not in (429, 503) for r in verify), [r.status_code for r in verify]
        ready = _ready(base)
        body = ready.json()
        assert ready.status_code == 200 and body["status"] == "degraded", body  # stays in rotation
        assert body["checks"]["redis"].startswith("down: ") and body["down"] == ["redis"], body
        assert {"login", "password_reset", "registration"} <= set(body["unavailable_features"]), body
    redis_server.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # each instance tries Redis again a few seconds after its failure
        flush(redis_server)  # the tries below count: start each round with empty buckets
        codes = [httpx.post(base + "/login", data=LOGIN_FORM, timeout=30).status_code for base in (a, b)]
        if 503 not in codes:
            break
        time.sleep(0.5)
    assert 503 not in codes and 429 not in codes, codes
    for base in (a, b):
        assert _ready(base).json() == {"status": "ok", "checks": {"database": "ok", "blob_store": "ok", "redis": "ok"}}
