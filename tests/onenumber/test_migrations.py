"""Alembic migrations agree with the models and go up, down and up again (on the test database)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from core.db import make_engine
from onenumber import migrations

ROOT = Path(__file__).resolve().parents[2]


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


def _cli_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONENUMBER_")}
    return {**env, "ONENUMBER_DATABASE_URL": url}


def test_two_replicas_migrate_an_empty_database_at_once(database_url: str) -> None:
    """Two ``db upgrade`` started together on an empty database: both succeed (the second finds head)."""
    cmd = [sys.executable, "-m", "onenumber", "db", "upgrade"]
    procs = [subprocess.Popen(cmd, env=_cli_env(database_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert migrations.pending_diff(database_url) == []


def test_installed_wheel_migrates_without_a_checkout(database_url: str, tmp_path: Path) -> None:
    """What the image does: the built wheel, installed apart from the checkout, runs ``db upgrade``."""
    source = tmp_path / "source"  # a copy: the suites run side by side and must not share a build/ folder
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    for package in ("onenumber", "idp", "wallet", "signing", "storage"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                            str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("onenumber-*.whl")
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                                str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {**_cli_env(database_url), "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import onenumber; print(onenumber.__file__)"], env=env,
                           cwd=tmp_path, capture_output=True, text=True)
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr  # not the checkout's copy
    done = subprocess.run([sys.executable, "-m", "onenumber", "db", "upgrade"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
    assert {"work_log", "work_log_head"} <= _tables(database_url)
    assert migrations.pending_diff(database_url) == []
