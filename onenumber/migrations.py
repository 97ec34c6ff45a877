"""Alembic, driven from Python: upgrade, downgrade, current, and the models-vs-migrations check."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

import onenumber.models  # noqa: F401  (registers every table)
from core.db import Base, make_engine

# Inside the package, so an installed wheel (the container image) finds them without a checkout.
SCRIPTS = Path(__file__).resolve().parent / "schema_migrations"
# pg_advisory_lock key of schema changes: replicas that migrate at once take turns (the later ones find head)
MIGRATION_LOCK = 0x4F4E454E554D  # "ONENUM"


def alembic_config(database_url: str) -> Config:
    """Alembic configuration pointing at ``database_url`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["database_url"] = database_url
    return cfg


@contextmanager
def _migration_lock(database_url: str) -> Iterator[None]:
    """One migrating process at a time: on PostgreSQL across every replica (a session advisory lock held on
    its own connection while Alembic works on another), on SQLite across the processes of the host (a file
    lock beside the database file)."""
    engine = make_engine(database_url)
    try:
        if engine.dialect.name != "postgresql":
            path = engine.url.database
            if not path or path == ":memory:":
                yield
                return
            with open(f"{path}.migrate.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            return
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (safe to run from several replicas at once)."""
    with _migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Revert migrations down to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


def pending_diff(database_url: str) -> list[object]:
    """Differences between the models and the migrated database (empty when they agree)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()
