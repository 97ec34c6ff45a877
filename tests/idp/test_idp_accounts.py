"""Throttle exactness under parallel attempts, registration, counter staff, password reset, work log."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from core.clock import utcnow
from core.runtime import runtime_of
from core.worklog.models import WorkLogEntry
from idp.errors import AccountLocked, LoginFailed
from idp.parties import throttle
from idp.parties.authenticate import authenticate
from idp.parties.models import LoginThrottle
from tests.helpers.idp_helpers import LI, WANG, csrf_of, exchange, login_code


def test_fifty_parallel_wrong_passwords_check_exactly_n_then_wait(seeded, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    now = [utcnow()]
    monkeypatch.setattr(throttle, "utcnow", lambda: now[0])  # a frozen clock: no delay runs out meanwhile
    outcomes: list[str] = []

    def attempt(i: int) -> str:
        with runtime_of(seeded).sessionmaker() as session:
            try:
                authenticate(
                    session=session,
                    settings=settings,
                    number=LI[0],
                    password=f"wrong-{i}",
                    address=f"10.0.0.{i % 7}",
                )
            except LoginFailed:
                return "failed"
            except AccountLocked:  # throttle.LoginDelayed
                return "delayed"
            return "ok"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count("failed") == settings.login_max_failures
    assert outcomes.count("delayed") == 50 - settings.login_max_failures
    with runtime_of(seeded).sessionmaker() as session:
        account = [r for r in session.scalars(select(LoginThrottle)) if r.key.startswith("account:")]
        assert account[0].failures == settings.login_max_failures
        actions = [e.action for e in session.scalars(select(WorkLogEntry))]
        assert actions.count("login.lockout") == 1 and actions.count("login.failure") == 5
    # even the right password waits, with the same answer for everyone; after the wait it works
    with runtime_of(seeded).sessionmaker() as session:
        try:
            authenticate(session=session, settings=settings, number=LI[0], password=LI[1], address="10.0.0.1")
            raise AssertionError("a delayed account accepted a login before the wait")
        except throttle.LoginDelayed as exc:
            assert exc.retry_after == 1
    now[0] += timedelta(seconds=1)
    with runtime_of(seeded).sessionmaker() as session:
        person = authenticate(session=session, settings=settings, number=LI[0], password=LI[1], address="10.0.0.1")
        assert person.name == "李四"


def test_login_page_generic_failure_for_unknown_and_wrong(seeded, client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    unknown = client.post(
        "/login", data={"csrf": csrf_of(page.text), "number": "11010519491231002X", "password": "Wrong-2026"}
    )
    nobody = client.post(
        "/login", data={"csrf": csrf_of(page.text), "number": "110101199003070038", "password": "Wrong-2026"}
    )
    assert unknown.status_code == nobody.status_code == 401
    assert "证件号码或密码错误" in unknown.text and "证件号码或密码错误" in nobody.text
    en = client.post("/login?lang=en", data={"csrf": csrf_of(page.text), "number": "x", "password": "y"})
    assert "The ID number or password is wrong." in en.text
    assert "HttpOnly" in client.get("/login").headers.get("set-cookie", "HttpOnly")


def test_worklog_has_no_clear_numbers(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    exchange(client, code, verifier)
    with runtime_of(seeded).sessionmaker() as session:
        entries = list(session.scalars(select(WorkLogEntry)))
    actions = {e.action for e in entries}
    assert {"login.password", "token.issue"} <= actions
    text = " ".join(f"{e.actor} {e.object} {e.details}" for e in entries)
    assert LI[0] not in text and "Lisi-2026" not in text


def test_registration_then_login(seeded, client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/register")
    done = client.post(
        "/register",
        data={
            "csrf": csrf_of(page.text),
            "number": "110101199003070038",
            "name": "赵六",
            "phone": "13900000000",
            "password": "Zhaoliu-2026",
        },
    )
    assert done.status_code == 200 and "注册成功" in done.text
    again = client.post(
        "/register",
        data={
            "csrf": csrf_of(page.text),
            "number": "110101199003070038",
            "name": "赵六",
            "password": "Zhaoliu-2026",
        },
    )
    assert again.status_code == 422 and "已注册" in again.text
    code, _ = login_code(client, number="110101199003070038", password="Zhaoliu-2026")
    assert code


def _staff_token(client) -> str:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=WANG[0], password=WANG[1])
    return str(exchange(client, code, verifier).json()["access_token"])


def test_counter_raises_assurance_and_issues_reset_code(seeded, app, client) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    staff = {"Authorization": f"Bearer {_staff_token(client)}"}
    raised = client.post("/idp/counter/assurance", json={"number": LI[0], "level": "high"}, headers=staff)
    assert raised.status_code == 200 and raised.json()["assurance"] == "high"
    assert raised.json()["masked_number"] == "1101**********0078"
    issued = client.post("/idp/counter/reset-codes", json={"number": LI[0]}, headers=staff).json()
    with TestClient(app) as citizen:
        page = citizen.get("/password-reset")
        wrong = citizen.post(
            "/password-reset",
            data={
                "csrf": csrf_of(page.text),
                "number": LI[0],
                "code": "AAAAAA-BBBBBB-CCCCCC",
                "password": "Brand-New-2026",
            },
        )
        assert wrong.status_code == 400
        done = citizen.post(
            "/password-reset",
            data={
                "csrf": csrf_of(page.text),
                "number": LI[0],
                "code": issued["code"],
                "password": "Brand-New-2026",
            },
        )
        assert done.status_code == 200 and "密码已重置" in done.text
        reused = citizen.post(
            "/password-reset",
            data={
                "csrf": csrf_of(page.text),
                "number": LI[0],
                "code": issued["code"],
                "password": "Other-New-2026",
            },
        )
        assert reused.status_code == 400
        assert login_code(citizen, number=LI[0], password="Brand-New-2026")[0]


def test_counter_api_needs_counter_role(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    token = exchange(client, code, verifier).json()["access_token"]
    response = client.post(
        "/idp/counter/assurance", json={"number": LI[0]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert client.post("/idp/counter/assurance", json={"number": LI[0]}).status_code == 401


def test_throttle_limit_for_addresses_is_wider(settings) -> None:  # type: ignore[no-untyped-def]
    assert throttle.limit_for("address:x", settings) > throttle.limit_for("account:x", settings)
