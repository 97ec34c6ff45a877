"""No secrets in logs (issue 8, item 5).

Two runs of a representative flow — hall login (code + PKCE), code exchange and refresh, client
credentials, issuance, show and verify, an application, logout with ``id_token_hint`` — each followed by a
scan of everything logged for the demo ID numbers, passwords, client secrets, the master key and every
code, token and session cookie the flow handled:

1. in-process, with every logger at DEBUG (``caplog``) and stdout/stderr captured;
2. through a real ``onenumber serve`` (uvicorn) subprocess, whose stdout/stderr include the access log.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from core.runtime import runtime_of
from core.settings import Settings
from idp.seed import VERIFIER_SECRET, hall_client_secret
from tests.helpers.ops_helpers import stop

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "log-scan-master-key-0123456789abcdef0123"
ID_NUMBERS = ["11010519491231002X", "110102199101010078", "440882198503293017"]
PASSWORDS = ["Zhangsan-2026", "Lisi-2026", "Wangwu-2026", "Matrix-2026-pass"]
RP_REDIRECT = "http://127.0.0.1:3000/app-cb"  # the first-party mobile app (demo-app)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def flow(browser: Any, *, hall_login: Any, secrets_seen: list[str]) -> None:
    """The representative flow through ``browser`` (a TestClient or an httpx.Client on a live server)."""
    hall_login(browser, ID_NUMBERS[0], PASSWORDS[0])
    secrets_seen.extend(v for k, v in browser.cookies.items() if "session" in k or "sso" in k)
    # a second client gets a code by SSO; exchange it, refresh, and use the access token
    verifier, challenge = _pkce()
    query = urlencode({"response_type": "code", "client_id": "demo-app", "redirect_uri": RP_REDIRECT,
                       "scope": "openid profile offline_access wallet:read wallet:share wallet:apply",
                       "state": "st", "nonce": "nn",
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    response = browser.get("/authorize?" + query, follow_redirects=False)
    location = response.headers["location"]
    while not location.startswith(RP_REDIRECT):  # consent or account choice pages, if any
        page = browser.get(location, follow_redirects=False)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        nxt = re.search(r'name="next" value="([^"]*)"', page.text)
        action = re.search(r'<form method="post" action="(/[^"]+)"', page.text)
        assert csrf and nxt and action, page.text[:300]
        import html

        response = browser.post(action.group(1), data={"csrf": csrf.group(1), "next": html.unescape(nxt.group(1)),
                                                      "decision": "allow", "delegation": ""},
                                follow_redirects=False)
        location = response.headers["location"]
    code = parse_qs(urlparse(location).query)["code"][0]
    tokens = browser.post("/token", data={"grant_type": "authorization_code", "code": code, "client_id": "demo-app",
                                          "redirect_uri": RP_REDIRECT, "code_verifier": verifier}).json()
    refreshed = browser.post("/token", data={"grant_type": "refresh_token", "client_id": "demo-app",
                                             "refresh_token": tokens["refresh_token"]}).json()
    secrets_seen.extend([code, verifier, tokens["access_token"], tokens["refresh_token"], tokens["id_token"],
                         refreshed["access_token"], refreshed["refresh_token"]])
    holder = {"Authorization": f"Bearer {refreshed['access_token']}"}
    browser.get("/userinfo", headers=holder)
    licenses = browser.get("/api/wallet/licenses", headers=holder).json()
    marriage = next(x for x in licenses if "结婚" in x["license_type"]["name"])
    shown = browser.post(f"/api/wallet/licenses/{marriage['identifier']}/present", headers=holder,
                         json={"fields": ["spouse_name"]}).json()
    secrets_seen.append(shown["token"])
    browser.get(f"/api/wallet/present/{shown['token']}/qr.png")
    browser.get("/verify?" + urlencode({"t": shown["token"]}))
    browser.post("/api/verify/presentation", json={"token": shown["token"]})
    # a department system: client credentials (secret in the body), then issuance and a read
    system = browser.post("/token", data={"grant_type": "client_credentials", "client_id": "demo-verifier",
                                          "client_secret": VERIFIER_SECRET, "scope": "license:issue license:read"})
    system_token = system.json()["access_token"]
    secrets_seen.append(system_token)
    dept = {"Authorization": f"Bearer {system_token}"}
    types = browser.get("/api/wallet/license-types?issuer=11110000000137015K").json()
    data = {"entity_type": "有限责任公司", "legal_representative": "张三", "registered_capital": "10万元",
            "established_on": "2020-01-01", "address": "示例路 1 号", "business_scope": "零售"}
    issued = browser.post("/api/licenses", headers=dept, json={
        "type_code": types[0]["type_code"], "holder_number": "91110000600037341L", "holder_name": "示例科技有限公司",
        "data": data})
    assert issued.status_code == 201, issued.text
    refused = browser.post("/api/licenses", headers=dept, json={  # a person's number for a company license
        "type_code": types[0]["type_code"], "holder_number": ID_NUMBERS[2], "holder_name": "王五", "data": data})
    assert refused.status_code in (400, 422), refused.text
    browser.get(f"/api/licenses/{marriage['identifier']}?purpose=audit", headers=dept)
    browser.post("/api/verify/license", headers=dept, json={"identifier": marriage["identifier"],
                                                             "holder_number": ID_NUMBERS[0], "purpose": "x"})
    # an application with one number, and a failed login with a real number
    submitted = browser.post("/api/applications", headers=holder, json={
        "item": "WSJK-GG-0001", "commitments": ["children"], "selections": {"marriage": marriage["identifier"]},
        "form": {"birth_form": {"applicant": "张三"}}})
    assert submitted.status_code == 201, submitted.text
    browser.get("/api/applications/status?" + urlencode({"serial": submitted.json()["serial"],
                                                          "code": submitted.json()["query_code"]}))
    secrets_seen.append(submitted.json()["query_code"])
    browser.post("/login", data={"number": ID_NUMBERS[1], "password": "wrong-" + PASSWORDS[1], "csrf": "x"})
    browser.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}), follow_redirects=False)
    browser.post("/revoke", data={"token": refreshed["refresh_token"], "client_id": "demo-app"})


def leaks(text: str, extra: list[str], settings: Settings) -> list[str]:
    """The secrets that appear in ``text``."""
    needles = {
        **{f"ID number {n}": n for n in ID_NUMBERS},
        **{f"password {p}": p for p in PASSWORDS},
        "client secret demo-verifier-secret": VERIFIER_SECRET,
        "hall client secret": hall_client_secret(settings),
        "master key": settings.secret_key,
        **{f"credential {s[:12]}…": s for s in extra if len(s) >= 8},
    }
    return [label for label, needle in needles.items() if needle in text]


def test_in_process_logs_carry_no_secrets(world_tools: Any, app: Any, caplog: pytest.LogCaptureFixture,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    caplog.set_level(logging.DEBUG)  # every logger, every level
    with TestClient(app) as client:
        world = world_tools.build_world(app, client)
        seen = list(world.tokens.values())
        flow(TestClient(app), hall_login=world_tools.hall_login, secrets_seen=seen)
    out = capsys.readouterr()
    text = "\n".join([caplog.text, out.out, out.err])
    assert caplog.records, "nothing was logged: the scan would prove nothing"
    settings = runtime_of(app).settings
    bad = [f"{leaks(line, seen, settings)} in: {line[:160]}" for line in text.splitlines() if leaks(line, seen, settings)]
    assert not bad, "\n".join(bad[:12])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """``onenumber serve`` on a fresh SQLite database with the demo data; its output goes to a file."""
    port = _free_port()
    env = {**os.environ, "ONENUMBER_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}",
           "ONENUMBER_STORAGE_URL": f"file://{tmp_path / 'blobs'}", "ONENUMBER_SECRET_KEY": MASTER_KEY,
           "ONENUMBER_ISSUER": f"http://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1"}
    env.pop("ONENUMBER_TEST_DATABASE_URL", None)
    cli = [sys.executable, "-m", "onenumber"]
    setup = ("import onenumber.models; from core.db import Base, make_engine; "
             "from core.settings import get_settings; Base.metadata.create_all(make_engine(get_settings().database_url))")
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=ROOT, check=True, capture_output=True)
    log = tmp_path / "server.log"
    seeded = subprocess.run([*cli, "seed"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr[-2000:]  # (it prints the demo accounts on purpose: not a log)
    with log.open("w") as sink:
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=sink,
                                  stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise AssertionError("the server did not start: " + log.read_text()[-2000:])
            yield base, server, log
        finally:
            stop(server)


@pytest.mark.slow
def test_server_output_and_access_log_carry_no_secrets(world_tools: Any, live_server: Any) -> None:
    base, server, log = live_server
    seen: list[str] = []
    with httpx.Client(base_url=base, timeout=30) as browser:
        flow(browser, hall_login=world_tools.hall_login, secrets_seen=seen)
    stop(server)
    text = log.read_text()
    assert '"GET /hall/callback?code=[redacted]' in text, "the access log was not captured"
    # the idp's login ticket (a signed, replayable-for-minutes proof of a fresh login) rides in /authorize's query
    tickets = re.findall(r"login_ticket=([^&\s\"]*)", text)
    assert tickets and set(tickets) == {"[redacted]"}, tickets[:3]
    settings = Settings(secret_key=MASTER_KEY)
    assert not leaks(text, seen, settings), [line for line in text.splitlines()
                                             if leaks(line, seen, settings)][:10]


@pytest.fixture
def settings(settings: Any, world_tools: Any) -> Any:
    """The test settings without lockout and rate limits (see conftest.relaxed)."""
    return world_tools.relaxed(settings)
