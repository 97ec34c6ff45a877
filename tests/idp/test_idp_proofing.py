"""实名认证 end to end: the proofing simulator as its own process, registration and proofing through the
pages, the SMS code read from the simulator, and the level in a fresh login's ID token."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from core.runtime import runtime_of
from tests.helpers.idp_helpers import ZHANG, csrf_of, exchange, hidden, login_code
from tests.helpers.ops_helpers import ROOT, free_port

# Records of the simulator's "authority" registry used here (not demo accounts of the platform).
QIAN = ("11010519950220004X", "钱九", "13900000009", "Qianjiu-2026")
FENG = ("110102198011110054", "冯十", "13900000010", "Fengshi-2026")


class Sim:
    """A running simulator process."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        data = tmp_path / f"{name}-registry.json"
        records = [{"name": n, "id_number": num, "phone": p} for num, n, p, _ in (QIAN, FENG)]
        records.append({"name": "张三", "id_number": ZHANG[0], "phone": "13800000001"})
        data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "idp.proofing.simulator", "--port", str(self.port), "--data", str(data)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"simulator did not start: {self.proc.stdout.read() if self.proc.stdout else ''}")

    def sms_code(self, phone: str) -> str:
        messages = httpx.get(f"{self.url}/sms/outbox", params={"phone": phone}).json()["messages"]
        assert messages, f"no SMS to {phone}"
        return str(messages[-1]["code"])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    s = Sim(tmp_path, "sim")
    yield s
    s.stop()


@pytest.fixture
def rogue(tmp_path: Path) -> Iterator[Sim]:
    s = Sim(tmp_path, "rogue")
    yield s
    s.stop()


def _client(settings: Any, **proofing: str) -> Any:
    from fastapi.testclient import TestClient

    from idp.seed import seed
    from onenumber.app import create_app

    app = create_app(settings.model_copy(update=proofing))
    with runtime_of(app).sessionmaker() as session:
        seed(session=session, settings=runtime_of(app).settings, blob_store=None)
        session.commit()
    return TestClient(app)


def _register(client: Any, number: str, name: str, phone: str, password: str) -> Any:
    page = client.get("/register")
    return client.post("/register", data={"csrf": csrf_of(page.text), "number": number, "name": name,
                                          "phone": phone, "password": password})


def _sign_in(client: Any, number: str, password: str, next_path: str = "/proofing") -> Any:
    page = client.get(f"/login?next={next_path}")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "number": number, "password": password,
                                           "next": hidden(page.text, "next")})
    assert response.status_code == 200, response.text[:500]
    return response


def _proof(client: Any, sim: Sim, phone: str, code: str | None = None) -> Any:
    page = client.get("/proofing")
    sent = client.post("/proofing", data={"csrf": csrf_of(page.text), "phone": phone})
    assert sent.status_code == 200 and 'action="/proofing/confirm"' in sent.text, sent.text[:800]
    return client.post("/proofing/confirm", data={"csrf": csrf_of(sent.text), "check": hidden(sent.text, "check"),
                                                  "code": code or sim.sms_code(phone)})


def _acr_of_fresh_login(client: Any, number: str, password: str) -> str:
    client.cookies.clear()
    code, verifier = login_code(client, number=number, password=password)
    body = exchange(client, code, verifier).json()
    keys = KeySet.import_key_set(client.get("/jwks.json").json())
    return str(jwt.decode(body["id_token"], keys).claims["acr"])


def _assurance(client: Any, number: str) -> str:
    from idp.parties import service

    app = client.app
    with runtime_of(app).sessionmaker() as session:
        person = service.get_by_number(session=session, settings=runtime_of(app).settings, number=number)
        assert person is not None
        return person.assurance


def test_register_proof_then_fresh_login_is_substantial(settings, sim) -> None:  # type: ignore[no-untyped-def]
    number, name, phone, password = QIAN
    with _client(settings, proofing_url=sim.url, proofing_jwks_url=f"{sim.url}/jwks.json") as client:
        done = _register(client, number, name, phone, password)
        assert done.status_code == 200 and "注册成功" in done.text and 'href="/login?next=/proofing"' in done.text
        assert _acr_of_fresh_login(client, number, password) == "low"
        page = _sign_in(client, number, password)
        assert 'data-level="low"' in page.text
        result = _proof(client, sim, phone)
        assert result.status_code == 200 and "实名认证成功" in result.text and 'data-level="substantial"' in result.text
        assert _assurance(client, number) == "substantial"
        assert _acr_of_fresh_login(client, number, password) == "substantial"
        # once proofed, the number cannot be registered again, whoever asks
        client.cookies.clear()
        again = _register(client, number, "别人", "13911111111", "Someone-2026")
        assert again.status_code == 422 and 'id="refusal-proofed"' in again.text
        assert "不能重复注册" in again.text and 'href="/password-reset"' in again.text


def test_wrong_name_is_no_match_and_level_stays_low(settings, sim) -> None:  # type: ignore[no-untyped-def]
    number, _, phone, password = FENG
    with _client(settings, proofing_url=sim.url, proofing_jwks_url=f"{sim.url}/jwks.json") as client:
        assert _register(client, number, "冒名", phone, password).status_code == 200
        _sign_in(client, number, password)
        result = _proof(client, sim, phone)
        assert result.status_code == 200 and "实名认证未通过" in result.text and 'data-level="low"' in result.text
        assert _assurance(client, number) == "low"
        assert _acr_of_fresh_login(client, number, password) == "low"


def test_wrong_code_can_be_retyped(settings, sim) -> None:  # type: ignore[no-untyped-def]
    number, name, phone, password = QIAN
    with _client(settings, proofing_url=sim.url, proofing_jwks_url=f"{sim.url}/jwks.json") as client:
        _register(client, number, name, phone, password)
        _sign_in(client, number, password)
        page = client.get("/proofing")
        sent = client.post("/proofing", data={"csrf": csrf_of(page.text), "phone": phone})
        real = sim.sms_code(phone)
        wrong = client.post("/proofing/confirm", data={"csrf": csrf_of(sent.text), "check": hidden(sent.text, "check"),
                                                       "code": real[:-1] + str((int(real[-1]) + 1) % 10)})
        assert wrong.status_code == 400 and "验证码不正确" in wrong.text and _assurance(client, number) == "low"
        ok = client.post("/proofing/confirm", data={"csrf": csrf_of(wrong.text), "check": hidden(wrong.text, "check"),
                                                    "code": real})
        assert "实名认证成功" in ok.text and _assurance(client, number) == "substantial"


def test_answer_signed_with_another_key_is_refused(settings, sim, rogue) -> None:  # type: ignore[no-untyped-def]
    number, name, phone, password = QIAN
    # the platform trusts sim's key but talks to rogue, which signs with its own key
    with _client(settings, proofing_url=rogue.url, proofing_jwks_url=f"{sim.url}/jwks.json") as client:
        _register(client, number, name, phone, password)
        _sign_in(client, number, password)
        result = _proof(client, rogue, phone)
        assert result.status_code == 502 and "签名校验" in result.text and 'data-level="low"' in result.text
        assert _assurance(client, number) == "low"
        assert _acr_of_fresh_login(client, number, password) == "low"


def test_registration_is_limited_per_number(settings) -> None:  # type: ignore[no-untyped-def]
    from idp.parties.models import Person

    number = "110101199003070038"
    with _client(settings) as client:
        first = _register(client, number, "赵六", "13900000000", "Zhaoliu-2026")
        assert first.status_code == 200 and 'id="not-configured"' in first.text  # no provider configured
        for _ in range(2):
            assert _register(client, number, "赵六", "", "Zhaoliu-2026").status_code == 422
        with runtime_of(client.app).sessionmaker() as session:
            persons = session.query(Person).count()
        limited = _register(client, number, "赵六", "", "Zhaoliu-2026")
        assert limited.status_code == 429 and 'id="refusal-throttled"' in limited.text
        with runtime_of(client.app).sessionmaker() as session:
            assert session.query(Person).count() == persons


def test_proofed_demo_number_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    with _client(settings) as client:
        refused = _register(client, ZHANG[0], "假张三", "13900000001", "Fake-zhang-2026")
        assert refused.status_code == 422 and 'href="/password-reset"' in refused.text
        assert _assurance(client, ZHANG[0]) == "substantial"


def test_proofing_page_says_not_configured(settings) -> None:  # type: ignore[no-untyped-def]
    with _client(settings) as client:
        page = _sign_in(client, "110108198805050012", "Sunqi-2026")
        assert 'id="not-configured"' in page.text and 'action="/proofing"' not in page.text


def test_answer_checks_nonce_freshness_and_signature() -> None:
    from idp.proofing import answer
    from idp.proofing.api import ProofingRefused

    key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    other = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    keys = KeySet([ECKey.import_key(key.as_dict(private=False))])
    now = int(time.time())
    claims = {"iss": "http://p", "transaction": "t", "nonce": "n", "match": True, "level": "substantial",
              "checked_at": now}
    good = answer.verify(answer.sign(claims, key), keys=keys, issuer="http://p", nonce="n", max_age=300)
    assert good.match and good.level == "substantial"
    for token, nonce, why in [
        (answer.sign(claims, other), "n", "signature"),
        (answer.sign(claims, key), "other", "nonce"),
        (answer.sign(claims | {"checked_at": now - 301}, key), "n", "fresh"),
        (answer.sign(claims | {"iss": "http://q"}, key), "n", "issuer"),
        (answer.sign(claims | {"level": "ultra"}, key), "n", "level"),
    ]:
        with pytest.raises(ProofingRefused, match=why):
            answer.verify(token, keys=keys, issuer="http://p", nonce=nonce, max_age=300)
