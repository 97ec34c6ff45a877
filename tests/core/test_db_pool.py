"""The engine's pool and its invalidation listener come from the settings (core/db.py
``engine_from_settings``): ONENUMBER_DB_POOL_SIZE / _MAX_OVERFLOW / _POOL_TIMEOUT and ONENUMBER_LISTEN_URL."""

from __future__ import annotations

import pytest
from sqlalchemy.pool import QueuePool

from core import invalidation
from core.db import POOL_OVERFLOW, POOL_TIMEOUT_S, THREADPOOL_SIZE, engine_from_settings
from core.settings import Settings

POOLED = "postgresql://onenumber:pw@pgbouncer:6432/onenumber"
DIRECT = "postgresql+psycopg://onenumber:pw@postgres:5432/onenumber"


def _pool(settings: Settings) -> QueuePool:
    engine = engine_from_settings(settings)  # no connection is made until the first checkout
    assert isinstance(engine.pool, QueuePool)
    return engine.pool


def test_defaults_are_one_connection_per_request_thread() -> None:
    settings = Settings(database_url=POOLED)
    assert (settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout) == (
        THREADPOOL_SIZE,
        POOL_OVERFLOW,
        POOL_TIMEOUT_S,
    )
    pool = _pool(settings)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (THREADPOOL_SIZE, POOL_OVERFLOW, POOL_TIMEOUT_S)


def test_the_pool_settings_reach_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONENUMBER_DB_POOL_SIZE", "8")
    monkeypatch.setenv("ONENUMBER_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("ONENUMBER_DB_POOL_TIMEOUT", "3.5")
    pool = _pool(Settings(database_url=POOLED))
    assert (pool.size(), pool._max_overflow, pool._timeout) == (8, 2, 3.5)


def test_impossible_pool_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="db_pool_size"):
        Settings(db_pool_size=0)
    with pytest.raises(ValueError, match="db_max_overflow"):
        Settings(db_max_overflow=-1)


def test_the_listener_uses_the_listen_url_when_set() -> None:
    through_pgbouncer = engine_from_settings(Settings(database_url=POOLED))
    assert invalidation._dsn(through_pgbouncer) == POOLED  # default: the database URL
    direct = engine_from_settings(Settings(database_url=POOLED, listen_url=DIRECT))
    assert invalidation._dsn(direct) == "postgresql://onenumber:pw@postgres:5432/onenumber"  # libpq form
    assert str(direct.url).startswith("postgresql+psycopg://onenumber:***@pgbouncer:6432")  # queries: the pool
