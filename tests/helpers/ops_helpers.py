"""Helpers of the operations tests (crash safety, encryption at rest, backup and restore): fresh databases,
the ``onenumber`` CLI and server as subprocesses, real idp tokens over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from core.runtime import runtime_of
from storage.deps import BLOB_STORE
from tests.helpers.idp_helpers import login_code

PG_ADMIN_URL = os.environ.get("ONENUMBER_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parents[2]
# The three demo persons of docs/CONTRACTS.md.
DEMO_NUMBERS = ("11010519491231002X", "110102199101010078", "440882198503293017", "110108198805050012")
ZHANG = ("11010519491231002X", "Zhangsan-2026")
BUSINESS_LICENSE = "11110000000137015K001"
COMPANY = ("91110000600037341L", "示例科技有限公司")
BIRTH_REGISTRATION = "WSJK-GG-0001"


def new_database(tmp_path: Path, name: str = "db") -> str:
    """URL of a new empty database: a SQLite file, or a new database on the test PostgreSQL server."""
    if not PG_ADMIN_URL:
        return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
    db = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db}"


def drop_database(url: str) -> None:
    """Drop a database made by :func:`new_database` (SQLite files go with tmp_path)."""
    if not PG_ADMIN_URL or not url.startswith("postgresql"):
        return
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    """One platform instance: its database, blob directory, master key and (when serving) port."""

    database_url: str
    blob_dir: Path
    secret_key: str
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment of a CLI or server process of this instance."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONENUMBER_")}
        env.update(
            ONENUMBER_ENV="development",
            ONENUMBER_DATABASE_URL=self.database_url,
            ONENUMBER_STORAGE_URL=f"file://{self.blob_dir}",
            ONENUMBER_SECRET_KEY=self.secret_key,
            ONENUMBER_ISSUER=self.url if self.port else "http://127.0.0.1:8000",
            ONENUMBER_WORKLOG_SEAL_INTERVAL="0.2",
        )
        env.update(extra)
        return env

    def cli(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``onenumber ARGS`` for this instance."""
        done = subprocess.run(
            [sys.executable, "-m", "onenumber", *args], cwd=ROOT, env=dict(env or self.env()),
            capture_output=True, text=True, timeout=120,
        )
        if check:
            assert done.returncode == 0, f"onenumber {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done

    def serve(self, log: Path, *args: str, ready_timeout: float = 30, **extra_env: str) -> subprocess.Popen[bytes]:
        """Start ``onenumber serve ARGS`` (with ``extra_env``) and wait until /readyz answers."""
        if not self.port:
            self.port = free_port()
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "onenumber", "serve", "--port", str(self.port), *args],
                cwd=ROOT, env=self.env(**extra_env), stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        proc.kill()
        raise AssertionError(f"server did not become ready in {ready_timeout} s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop a served instance as an operator would (SIGINT), killing it if it does not exit in time."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


APP = ("demo-app", "http://127.0.0.1:3000/app-cb")  # the platform's own mobile channel (first party)
APP_SCOPE = "openid profile id_number wallet:read wallet:share wallet:apply"


def person_token(base_url: str, number: str = ZHANG[0], password: str = ZHANG[1]) -> str:
    """A real access token of a person: code flow with PKCE through the idp pages, as the platform's own
    mobile app (client demo-app, first party: the wallet scopes; id_number consented on the way)."""
    with httpx.Client(base_url=base_url, timeout=30) as c:
        code, verifier = login_code(c, number=number, password=password, client_id=APP[0], redirect_uri=APP[1],
                                    scope=APP_SCOPE)
        response = c.post("/token", data={"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": APP[1], "client_id": APP[0], "code_verifier": verifier})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def department_token(base_url: str, secret: str = "demo-verifier-secret") -> str:
    """A client-credentials token of demo-verifier (department 11110000000137015K)."""
    response = httpx.post(
        base_url + "/token", auth=("demo-verifier", secret), timeout=30,
        data={"grant_type": "client_credentials", "scope": "license:issue license:read license:verify"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def business_license(n: int) -> dict[str, Any]:
    """Body of an issuance of a business license to the demo company (``n`` varies the data)."""
    return {
        "type_code": BUSINESS_LICENSE,
        "holder_number": COMPANY[0],
        "holder_name": COMPANY[1],
        "data": {
            "entity_type": "有限责任公司",
            "legal_representative": "张三",
            "established_on": "2020-01-01",
            "address": f"示例市示例区科技路{n}号",
            "business_scope": "软件开发",
        },
    }


def birth_registration(marriage_identifier: str) -> dict[str, Any]:
    """Body of 张三's birth registration (marriage certificate from the wallet, commitment, form)."""
    return {
        "item": BIRTH_REGISTRATION,
        "commitments": ["children"],
        "selections": {"marriage": marriage_identifier},
        "form": {"birth_form": {"applicant": "张三"}},
    }


def marriage_of(base_url: str, token: str) -> str:
    """Identifier of the marriage certificate in the wallet of the token's holder."""
    response = httpx.get(base_url + "/api/wallet/licenses", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return next(x["identifier"] for x in response.json() if "结婚" in x["license_type"]["name"])


def platform_app(settings: Any, monkeypatch: Any) -> Any:
    """The whole app on ``settings``, with the environment saying the same (signing reads get_settings())."""
    from core.settings import get_settings
    from onenumber.app import create_app

    monkeypatch.setenv("ONENUMBER_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ONENUMBER_ISSUER", settings.issuer)
    monkeypatch.setenv("ONENUMBER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONENUMBER_STORAGE_URL", settings.storage_url)
    get_settings.cache_clear()
    return create_app(settings)


def seed(app: Any) -> None:
    """``onenumber seed`` on the app's database and blob store."""
    from onenumber import seed as platform_seed

    with runtime_of(app).sessionmaker() as session:
        platform_seed.run(session=session, settings=runtime_of(app).settings, blob_store=runtime_of(app).get(BLOB_STORE))


def client_person_token(client: Any, number: str = ZHANG[0], password: str = ZHANG[1]) -> dict[str, Any]:
    """Token response of a person's code flow (the first-party app, offline_access) through a TestClient."""
    code, verifier = login_code(client, number=number, password=password, client_id=APP[0], redirect_uri=APP[1],
                                scope=APP_SCOPE + " offline_access")
    response = client.post("/token", data={"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": APP[1], "client_id": APP[0], "code_verifier": verifier})
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of an access token."""
    return {"Authorization": f"Bearer {token}"}
