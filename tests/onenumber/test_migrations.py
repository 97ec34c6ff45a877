"""Alembic migrations agree with the models and go up, down and up again (on the test database)."""

import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
from sqlalchemy import inspect

from core.db import make_engine
from onenumber import migrations
from tests.helpers.ops_helpers import free_port

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


def _packages() -> list[str]:
    """The top-level packages the wheel ships (pyproject's ``packages.find`` include list)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_installed_wheel_migrates_seeds_and_serves(database_url: str, tmp_path: Path) -> None:
    """What the image does: the built wheel, installed apart from the checkout, runs ``db upgrade``,
    ``seed`` and ``serve`` — every package, template, catalog and migration comes from the installed copy."""
    source = tmp_path / "source"  # a copy: the suites run side by side and must not share a build/ folder
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    packages = _packages()
    assert {"core", "identifiers", "channels", "onenumber", "idp", "wallet", "signing", "storage"} <= set(packages)
    for package in packages:
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
    env = {**_cli_env(database_url), "PYTHONPATH": str(target), "ONENUMBER_STORAGE_URL": f"file://{tmp_path / 'blobs'}",
           "ONENUMBER_SECRET_KEY": "wheel-install-master-key-0123456789abcdef"}
    where = subprocess.run(
        [sys.executable, "-c", f"import importlib; print('\\n'.join(importlib.import_module(p).__file__ for p in {packages!r}))"],
        env=env, cwd=tmp_path, capture_output=True, text=True,
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(target)) for line in where.stdout.split()), where.stdout  # not the checkout's
    for command in (["db", "upgrade"], ["seed"]):
        done = subprocess.run([sys.executable, "-m", "onenumber", *command], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
    assert {"work_log", "work_log_head"} <= _tables(database_url)
    assert migrations.pending_diff(database_url) == []
    port = free_port()
    env["ONENUMBER_ISSUER"] = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "onenumber", "serve", "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the installed server did not become ready"
            time.sleep(0.1)
        discovery = httpx.get(base + "/.well-known/openid-configuration", timeout=10)
        assert discovery.status_code == 200 and discovery.json()["issuer"] == base
        login = httpx.get(base + "/login", timeout=10)  # a page: templates and message catalogs ship too
        assert login.status_code == 200 and "登录" in login.text
        hall = httpx.get(base + "/verify", timeout=10)  # a channel page (the public verify page)
        assert hall.status_code == 200 and "<html" in hall.text
    finally:
        server.terminate()
        server.wait(timeout=30)
