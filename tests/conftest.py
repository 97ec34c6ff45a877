"""Shared fixtures: the database under test (SQLite, or PostgreSQL when ONENUMBER_TEST_DATABASE_URL is
set), settings, sessions, a local blob store, an S3 blob store when ONENUMBER_TEST_S3_ENDPOINT is set,
and a TestClient on the whole app."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

import onenumber.models  # noqa: F401
from core.db import Base, make_engine, make_sessionmaker
from core.settings import Settings
from onenumber.kernel_hooks import install_kernel_hooks

# The test run is an entry point like the app and the CLI: the work log's exact ID-number check.
install_kernel_hooks()

# Property tests must not fail on a busy CI machine because one example was slow.
hypothesis_settings.register_profile("onenumber", deadline=None)
hypothesis_settings.load_profile("onenumber")

# Tests whose outcome does not depend on the suite's database engine — no database at all, or PostgreSQL and S3
# servers of their own — are marked ``once``: ``make test`` runs them in the SQLite run only (tools/test.sh
# deselects them on PostgreSQL), instead of twice.
ONCE = (
    "tests/identifiers/",
    "tests/storage/test_storage_s3.py",
    "tests/storage/test_storage_local.py",
    "tests/storage/test_storage_contract.py",
    "tests/storage/test_storage_url.py",
    "tests/signing/test_hostile_pdfs.py",
    "tests/signing/test_verify_workers.py",
    "tests/signing/test_asn1speed.py",
    "tests/interop/",
    "tests/hardening/test_database_restart.py",  # its own PostgreSQL cluster
    "tests/hardening/test_balancer_outages.py",  # its own PostgreSQL cluster and S3 server
)
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.resolve().relative_to(ROOT).as_posix()
        if where.startswith(ONCE):
            item.add_marker(pytest.mark.once)


PG_ADMIN_URL = os.environ.get("ONENUMBER_TEST_DATABASE_URL")
S3_ENDPOINT = os.environ.get("ONENUMBER_TEST_S3_ENDPOINT")
TEST_MASTER_KEY = "test-master-key-0123456789abcdef0123456789"


def _admin_engine() -> Engine:
    assert PG_ADMIN_URL
    return create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")


def _fresh_database_url(tmp_path: Path, *, template: str | None = None) -> str:
    """A new database: a SQLite file, or a new PostgreSQL database on the test server (optionally a
    copy of ``template``)."""
    if not PG_ADMIN_URL:
        path = tmp_path / "test.db"
        if template:
            shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(url: str) -> None:
    if not PG_ADMIN_URL or not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with every table, made once per run and copied for each test (much faster than
    creating 40-odd tables per test, above all on PostgreSQL)."""
    url = _fresh_database_url(tmp_path_factory.mktemp("template"))
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    eng.dispose()
    yield url.rsplit("/", 1)[1] if PG_ADMIN_URL else url.split("///", 1)[1]
    _drop_database(url)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database for this test (no tables yet)."""
    url = _fresh_database_url(tmp_path)
    yield url
    _drop_database(url)


@pytest.fixture
def schema_database_url(tmp_path: Path, schema_template: str) -> Iterator[str]:
    """URL of a database for this test with every table created."""
    url = _fresh_database_url(tmp_path, template=schema_template)
    yield url
    _drop_database(url)


@pytest.fixture
def settings(schema_database_url: str, tmp_path: Path) -> Settings:
    """Development settings on this test's database (tables created) and a local blob directory."""
    return Settings(
        env="development",
        database_url=schema_database_url,
        storage_url=f"file://{tmp_path / 'blobs'}",
        secret_key=TEST_MASTER_KEY,
        issuer="http://testserver",
        # No periodic purge under tests: a long test (the failure injection runs for minutes) would see
        # expired codes vanish mid-snapshot. The purge has its own tests, which set an interval.
        purge_interval=0,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """Engine on the test database (every table exists)."""
    eng = make_engine(settings.database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database."""
    with make_sessionmaker(engine)() as s:
        yield s


@pytest.fixture
def local_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A LocalBlobStore in a temporary directory."""
    from storage import LocalBlobStore

    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def s3_store():  # type: ignore[no-untyped-def]
    """An S3BlobStore on a fresh bucket of the test S3 server (skipped when none is configured)."""
    if not S3_ENDPOINT:
        pytest.skip("no S3 server configured (set ONENUMBER_TEST_S3_ENDPOINT; make test does)")
    from storage import S3BlobStore

    return S3BlobStore(
        endpoint=S3_ENDPOINT,
        bucket=f"t-{uuid.uuid4().hex[:12]}",
        access_key=os.environ.get("ONENUMBER_TEST_S3_ACCESS_KEY", "onenumber"),
        secret_key=os.environ.get("ONENUMBER_TEST_S3_SECRET_KEY", "onenumber-dev-secret"),
        secure=False,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    """The whole platform app on the test database (tables created)."""
    from onenumber.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A TestClient on the whole app."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
