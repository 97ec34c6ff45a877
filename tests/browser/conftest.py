"""Browser journeys: a real uvicorn server on a free loopback port (temp SQLite + blob dir, seeded demo
data), Debian's Chromium driven by Playwright, console-error collection and an axe-core check per page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.browser_helpers import ARTIFACTS, AXE, HERE, PYTHON, ROOT, Browsing, Server, run

CHROMIUM = "/usr/bin/chromium"
MASTER_KEY = "browser-master-key-0123456789abcdef0123456789"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real uvicorn server of the platform on a free loopback port, on a fresh seeded SQLite file."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    tmp = tmp_path_factory.mktemp("browser-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ONENUMBER_ENV": "development",
        "ONENUMBER_DATABASE_URL": f"sqlite:///{tmp / 'onenumber.db'}",
        "ONENUMBER_STORAGE_URL": f"file://{tmp / 'blobs'}",
        "ONENUMBER_SECRET_KEY": MASTER_KEY,
        "ONENUMBER_ISSUER": url,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    run([PYTHON, "-m", "onenumber", "db", "upgrade"], env)
    run([PYTHON, "-m", "onenumber", "seed"], env)
    log = open(tmp / "server.log", "w")  # noqa: SIM115 — closed below
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "onenumber.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("server did not start:\n" + (tmp / "server.log").read_text())
            time.sleep(0.2)
        yield Server(url=url, env=env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        server_log = (tmp / "server.log").read_text()
        if "Traceback" in server_log:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS.parent / "server.log").write_text(server_log)


def _axe_ready() -> None:
    if AXE.is_file():
        return
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed; axe-core cannot be fetched")
    subprocess.run(
        ["npm", "install", "--prefix", str(HERE), "--no-audit", "--no-fund", "axe-core"],
        check=True,
        cwd=HERE,
        timeout=300,
    )


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[Any]:
    """Debian's Chromium, launched by Playwright (never ``playwright install``)."""
    _axe_ready()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def web(browser: Any, server: Server) -> Iterator[Browsing]:
    """One journey's browsing; at the end no page may have logged a console error."""
    browsing = Browsing(browser=browser, server=server)
    yield browsing
    browsing.close()
    assert not browsing.watch.errors, "console errors:\n" + "\n".join(browsing.watch.errors)
