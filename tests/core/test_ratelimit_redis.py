"""The Redis rate-limit backend (core/limiter.py, issue 16 item 6) against a real redis-server: token-bucket
semantics shared by two clients, keys hashed, an outage reported at once and logged once, the app failing
closed for logins and open for public reads, and ``/readyz`` naming what degrades."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from core import limiter as limiter_module
from core.limiter import KEY_PREFIX, LimiterUnavailable, LocalLimiter, RedisLimiter, open_limiter
from core.settings import Settings
from onenumber.app import create_app
from tests.helpers.redis_helpers import RedisServer

MASTER_KEY = "test-master-key-0123456789abcdef0123456789"
PASSWORD = "redis-test-password-0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis", password=PASSWORD)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _take(limiter: Any, kind: str, key: str, rate: int) -> float:
    return float(asyncio.run(limiter.take(kind, key, rate)))


def test_token_bucket_semantics_in_redis(server: RedisServer) -> None:
    limiter = RedisLimiter(server.url, master_key=MASTER_KEY)
    assert [_take(limiter, "verify", "10.0.0.1", 6) for _ in range(6)] == [0.0] * 6  # bursts of 6
    wait = _take(limiter, "verify", "10.0.0.1", 6)
    assert 9.0 < wait <= 10.0  # one token every 10 s
    assert _take(limiter, "verify", "10.0.0.2", 6) == 0.0  # another address has its own bucket
    assert _take(limiter, "status", "10.0.0.1", 6) == 0.0  # and so has another kind
    # refill at the rate: 60 a minute is one a second
    assert all(_take(limiter, "login", "10.0.0.3", 60) == 0.0 for _ in range(60))
    assert 0 < _take(limiter, "login", "10.0.0.3", 60) <= 1.0
    time.sleep(1.1)
    assert _take(limiter, "login", "10.0.0.3", 60) == 0.0
    assert _take(limiter, "login", "10.0.0.3", 60) > 0


def test_two_clients_share_one_bucket(server: RedisServer) -> None:
    a = RedisLimiter(server.url, master_key=MASTER_KEY)
    b = RedisLimiter(server.url, master_key=MASTER_KEY)
    answers = [_take(a if n % 2 else b, "login", "10.1.1.1", 5) for n in range(10)]
    assert sum(1 for w in answers if w == 0.0) == 5, answers  # the limit, not twice it


def test_keys_are_hashed_and_expire(server: RedisServer) -> None:
    limiter = RedisLimiter(server.url, master_key=MASTER_KEY)
    address, number = "192.0.2.77", "11010519491231002X"
    _take(limiter, "verify", address, 60)
    _take(limiter, "create", number, 60)
    raw = redis.Redis.from_url(server.url)
    keys = [k.decode() for k in raw.keys("*")]
    assert len(keys) == 2 and all(k.startswith(KEY_PREFIX) for k in keys), keys
    assert not any(address in k or number in k for k in keys), keys
    assert all(re.fullmatch(r"onenumber:rl:(verify|create):[0-9a-f]{32}", k) for k in keys), keys
    for k in keys:
        assert 0 < raw.pttl(k) <= 61_000  # gone once the bucket would be full again
        assert set(raw.hgetall(k)) == {b"t", b"ts"}  # tokens and time only: nothing of the caller
    # another master key hashes elsewhere (no shared key space with another platform on the same Redis)
    assert RedisLimiter(server.url, master_key=MASTER_KEY + "x").redis_key("verify", address) not in keys


def test_outage_fails_fast_logs_once_and_recovers(
    server: RedisServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter_module, "RETRY_S", 0.3)
    limiter = RedisLimiter(server.url, master_key=MASTER_KEY)
    assert _take(limiter, "login", "10.2.2.2", 30) == 0.0 and limiter.check() is None
    server.kill()
    caplog.set_level(logging.INFO, logger="onenumber.ratelimit")
    started = time.monotonic()
    with pytest.raises(LimiterUnavailable) as first:
        _take(limiter, "login", "10.2.2.2", 30)
    assert time.monotonic() - started < 1.0 and first.value.retry_after >= 1
    started = time.monotonic()
    for _ in range(20):  # within RETRY_S: told at once, no socket
        with pytest.raises(LimiterUnavailable):
            _take(limiter, "login", "10.2.2.2", 30)
    assert time.monotonic() - started < 0.2
    time.sleep(0.35)
    with pytest.raises(LimiterUnavailable):  # tried again after RETRY_S: still down, not logged again
        _take(limiter, "login", "10.2.2.2", 30)
    assert limiter.check() is not None
    down = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in caplog.records]
    assert PASSWORD not in caplog.text and str(server.port) not in caplog.text  # no URL, no secret
    server.start()  # empty again: no persistence, and the script cache is gone (EVALSHA falls back)
    time.sleep(0.35)
    assert _take(limiter, "login", "10.2.2.2", 30) == 0.0 and limiter.check() is None
    assert sum("answers again" in r.getMessage() for r in caplog.records) == 1


def test_open_limiter_picks_the_backend(server: RedisServer) -> None:
    assert isinstance(open_limiter(Settings(secret_key=MASTER_KEY)), LocalLimiter)
    chosen = open_limiter(Settings(secret_key=MASTER_KEY, redis_url=server.url))
    assert isinstance(chosen, RedisLimiter) and chosen.check() is None
    assert server.url not in repr(Settings(secret_key=MASTER_KEY, redis_url=server.url))  # the password


def test_the_app_fails_closed_for_logins_and_open_for_reads(
    settings: Settings, engine: Any, server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter_module, "RETRY_S", 0.2)
    app = create_app(
        settings.model_copy(update={"redis_url": server.url, "rate_limit_login_per_minute": 2, "rate_limit_verify_per_minute": 2})
    )
    form = {"number": "110101198001010013", "password": "x", "csrf": "x"}
    with TestClient(app) as client:
        assert [client.post("/login", data=form).status_code == 429 for _ in range(3)] == [False, False, True]
        assert client.get("/readyz").json()["checks"]["redis"] == "ok"
        server.kill()
        page = client.post("/login", data=form)
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert int(page.headers["Retry-After"]) >= 1 and "服务暂时不可用" in page.text
        assert client.post("/password-reset", data={}).status_code == 503
        assert client.post("/register", data={}).status_code == 503
        # public reads are let through unlimited (no 429, no 503)
        reads = [client.post("/api/verify/presentation", json={"token": "x.y.z"}) for _ in range(4)]
        assert all(r.status_code not in (429, 503) for r in reads), [r.status_code for r in reads]
        assert reads[0].json()["error"] != "temporarily_unavailable"
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"].startswith("down: ") and "redis" in ready.json()["down"]
        assert {"login", "registration", "password_reset"} <= set(ready.json()["unavailable_features"])
        server.start()
        time.sleep(0.25)
        assert client.post("/login", data=form).status_code not in (429, 503)  # an empty Redis: a new bucket
        assert client.get("/readyz").json()["status"] == "ok"
