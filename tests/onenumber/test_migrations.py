"""Alembic migrations agree with the models and go up, down and up again (on the test database)."""

from sqlalchemy import inspect

from onenumber import migrations
from onenumber.db import make_engine


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    migrations.upgrade(database_url)
    assert migrations.pending_diff(database_url) == []


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    migrations.upgrade(database_url)
    tables = _tables(database_url)
    assert {"work_log", "work_log_head"} <= tables
    migrations.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    migrations.upgrade(database_url)
    assert _tables(database_url) == tables
