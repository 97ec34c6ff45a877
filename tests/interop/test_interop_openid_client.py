"""Interoperability from outside the process: the certified RP library openid-client (npm) drives a real
uvicorn server: discovery, code + PKCE (ES256 and RS256), userinfo, refresh rotation and reuse,
client credentials, device flow, introspection/revocation, RP-initiated and back-channel logout."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTHON = sys.executable
MASTER_KEY = "interop-master-key-0123456789abcdef0123456789"
RS_SECRET = "interop-rs-secret-0123456789abcdef"
TP_SECRET = "interop-tp-secret-0123456789abcdef"

pytestmark = pytest.mark.slow

SETUP = """
import onenumber.models
from core.db import Base, make_engine, make_sessionmaker
from core.settings import get_settings
from idp.seed import seed
settings = get_settings()
engine = make_engine(settings.database_url)
Base.metadata.create_all(engine)
with make_sessionmaker(engine)() as session:
    seed(session=session, settings=settings, blob_store=None)
    session.commit()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _npm_ready() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed")
    # `make test` runs the SQLite and PostgreSQL suites side by side: one installs while the other waits
    # (`npm ci` empties node_modules first, so an unguarded second run could catch it half-written).
    with open(HERE / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (HERE / "node_modules" / "openid-client" / "package.json").is_file():
            command = "ci" if (HERE / "package-lock.json").exists() else "install"
            subprocess.run(
                ["npm", command, "--prefix", str(HERE), "--no-audit", "--no-fund"],
                check=True,
                cwd=HERE,
                timeout=300,
            )


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real uvicorn server of the platform on a free loopback port, on a fresh seeded SQLite file."""
    _npm_ready()
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ONENUMBER_ENV": "development",
        "ONENUMBER_DATABASE_URL": f"sqlite:///{tmp_path / 'interop.db'}",
        "ONENUMBER_STORAGE_URL": f"file://{tmp_path / 'blobs'}",
        "ONENUMBER_SECRET_KEY": MASTER_KEY,
        "ONENUMBER_ISSUER": issuer,
    }
    versions = ROOT / "onenumber" / "schema_migrations" / "versions"
    if versions.is_dir() and any(versions.glob("*.py")):
        _run([PYTHON, "-m", "onenumber", "db", "upgrade"], env)
        _run([PYTHON, "-c", SETUP.replace("Base.metadata.create_all(engine)", "")], env)
    else:
        _run([PYTHON, "-c", SETUP], env)
    receiver_port = _free_port()
    _run(
        [
            PYTHON,
            "-m",
            "onenumber",
            "clients",
            "add",
            "interop-rs",
            "--kind",
            "web",
            "--name",
            "Interop RS256",
            "--secret",
            RS_SECRET,
            "--redirect-uris",
            "http://127.0.0.1:3001/cb",
            "--post-logout-redirect-uris",
            "http://127.0.0.1:3001/bye",
            "--scopes",
            "openid profile",
            "--id-token-alg",
            "RS256",
            "--trusted",
            "--backchannel-logout-uri",
            f"http://127.0.0.1:{receiver_port}/backchannel",
        ],
        env,
    )
    # a third-party relying party (no --trusted): consent screen and a pairwise sub (sector localhost)
    _run(
        [
            PYTHON, "-m", "onenumber", "clients", "add", "interop-tp", "--kind", "web",
            "--name", "Interop third party", "--secret", TP_SECRET,
            "--redirect-uris", "http://localhost:3002/cb", "--scopes", "openid profile",
        ],
        env,
    )
    log = open(tmp_path / "uvicorn.log", "w")  # noqa: SIM115
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
        for _ in range(100):
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        assert proc.poll() is None, (tmp_path / "uvicorn.log").read_text()
        yield issuer, {
            **env, "ISSUER": issuer, "RECEIVER_PORT": str(receiver_port), "RS_SECRET": RS_SECRET, "TP_SECRET": TP_SECRET
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_openid_client_drives_the_idp(server: tuple[str, dict[str, str]]) -> None:
    issuer, env = server
    result = subprocess.run(
        ["node", str(HERE / "rp.mjs")], env=env, cwd=HERE, capture_output=True, text=True, timeout=180
    )
    print(result.stdout)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "ALL OK" in result.stdout
    for check in (
        "discovery",
        "code+PKCE ES256",
        "userinfo",
        "refresh rotation",
        "refresh reuse",
        "code+PKCE RS256 with SSO",
        "client credentials",
        "third-party pairwise client",
        "device flow",
        "introspection",
        "RP-initiated logout",
        "back-channel logout",
    ):
        assert f"ok {check}" in result.stdout, check
