"""Accounts that defend themselves (issue 14.5), over HTTP through the whole app: growing delays instead of
lockouts, known-device cookies, one busy address, the reset form sharing the account's delays, and the
account centre's TOTP enrolment and removal behind a recent login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.clock import utcnow
from core.runtime import runtime_of
from core.worklog.models import WorkLogEntry
from idp.oauth.models import SsoSession
from idp.parties import devices, throttle
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.parties.passwords import verify_password
from tests.helpers.idp_helpers import LI, WANG, ZHANG, csrf_of

STRANGER, OWNER, BALANCER = "198.51.100.7", "203.0.113.20", "10.0.0.5"


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """Without the per-minute request limit of the login forms: these tests are about the idp's delays."""
    return settings.model_copy(update={"rate_limit_login_per_minute": 0})


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    c = Clock()
    monkeypatch.setattr(throttle, "utcnow", c)
    return c


@pytest.fixture
def browsers(seeded) -> Iterator:  # type: ignore[no-untyped-def]
    """Make browsers at a client address (what the ASGI server reports, proxy headers already applied)."""
    made: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(seeded, client=(address, 40000))
        client.__enter__()
        made.append(client)
        return client

    yield make
    for client in made:
        client.__exit__(None, None, None)


def login(client: TestClient, number: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "number": number, "password": password},
        follow_redirects=False,
    )


def reset(client: TestClient, number: str, code: str, password: str = "Neues-Passwort-2026"):  # type: ignore[no-untyped-def]
    page = client.get("/password-reset")
    return client.post(
        "/password-reset",
        data={"csrf": csrf_of(page.text), "number": number, "code": code, "password": password},
        follow_redirects=False,
    )


def exhaust(client: TestClient, number: str, settings) -> None:  # type: ignore[no-untyped-def]
    """The free wrong passwords of ``number`` from ``client``."""
    for i in range(settings.login_max_failures):
        assert login(client, number, f"Wrong-{i}-2026").status_code == 401


def test_delays_grow_and_a_correct_password_after_the_wait_works(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    stranger = browsers(STRANGER)
    exhaust(stranger, LI[0], settings)
    refused = login(stranger, LI[0], LI[1])  # even the right password waits
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "请稍后再试" in refused.text and "1 秒" in refused.text
    clock.advance(1)
    assert login(stranger, LI[0], "Wrong-again-2026").status_code == 401
    again = login(stranger, LI[0], LI[1])
    assert again.status_code == 429 and again.headers["retry-after"] == "2"
    en = stranger.post(
        "/login?lang=en",
        data={"csrf": csrf_of(stranger.get("/login").text), "number": LI[0], "password": LI[1]},
    )
    assert en.status_code == 429 and "Please try again later (in 2 seconds)." in en.text
    clock.advance(2)
    assert login(stranger, LI[0], LI[1]).status_code == 303  # correct after the wait: in, counter cleared
    exhaust(stranger, LI[0], settings)
    with runtime_of(seeded).sessionmaker() as session:
        actions = [e.action for e in session.scalars(select(WorkLogEntry))]
    assert actions.count("login.refused_locked") == 3 and actions.count("login.lockout") == 2


def test_failures_decay_after_a_quiet_window(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    stranger = browsers(STRANGER)
    exhaust(stranger, LI[0], settings)
    assert login(stranger, LI[0], "Wrong-x-2026").status_code == 429
    clock.advance(settings.lockout_seconds)
    exhaust(stranger, LI[0], settings)  # five free attempts again, not a growing lock


def test_known_device_logs_in_at_once_while_strangers_wait(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    owner = browsers(OWNER)
    first = login(owner, ZHANG[0], ZHANG[1])
    assert first.status_code == 303
    device_cookie = owner.cookies.get(devices.COOKIE_NAME)
    assert device_cookie and "HttpOnly" in first.headers.get("set-cookie", "")

    stranger = browsers(STRANGER)
    exhaust(stranger, ZHANG[0], settings)
    for _ in range(3):
        assert login(stranger, ZHANG[0], ZHANG[1]).status_code == 429
    # the owner's browser, even from the stranger's address, is not slowed by those failures
    assert login(owner, ZHANG[0], ZHANG[1]).status_code == 303
    assert login(browsers(STRANGER), ZHANG[0], ZHANG[1]).status_code == 429  # still slowed for strangers

    # a device cookie of another account, or a forged one, is a stranger's
    li = browsers(OWNER)
    assert login(li, LI[0], LI[1]).status_code == 303
    li_cookie = li.cookies.get(devices.COOKIE_NAME)
    for value in (li_cookie, device_cookie[:-2] + "xx"):
        other = browsers(STRANGER)
        other.cookies.set(devices.COOKIE_NAME, value)
        assert login(other, ZHANG[0], ZHANG[1]).status_code == 429

    # the known device's own failures count on their own
    exhaust(owner, ZHANG[0], settings)
    assert login(owner, ZHANG[0], ZHANG[1]).status_code == 429
    clock.advance(1)
    assert login(owner, ZHANG[0], ZHANG[1]).status_code == 303


def test_one_busy_address_slows_the_stranger_but_not_the_others(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    stranger = browsers(BALANCER)
    sprayed = [f"1101011990030700{i:02d}" for i in range(throttle.limit_for("address:x", settings) + 10)]
    for number in sprayed:  # one guess on each of many numbers: no account reaches its own limit
        assert login(stranger, number, "Spray-2026!").status_code == 401
    assert login(stranger, ZHANG[0], "Spray-2026!").status_code == 401
    # the address is now suspicious: a second guess on an account it tried waits
    slowed = login(stranger, sprayed[0], "Other-2026!")
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) >= 1
    assert login(stranger, ZHANG[0], "Other-2026!").status_code == 429
    # everyone else behind the same address whose account nobody tried logs in at once
    for number, password in (LI, WANG):
        assert login(browsers(BALANCER), number, password).status_code == 303
    # and the attacked account is still fine from elsewhere (its own five free attempts are not used up)
    assert login(browsers(OWNER), ZHANG[0], ZHANG[1]).status_code == 303


def test_forty_wrong_totp_codes_on_the_reset_form_cannot_reset(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    with runtime_of(seeded).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=LI[0])
        assert person is not None
        secret = party_service.set_totp(session=session, settings=settings, person=person)
        session.commit()
        old_hash = person.password_hash
    current = pyotp.TOTP(secret).now()
    wrong = [f"{(int(current) + 1 + i) % 1_000_000:06d}" for i in range(40)]
    stranger = browsers(STRANGER)
    statuses = [reset(stranger, LI[0], code).status_code for code in wrong]
    free = settings.login_max_failures
    assert statuses == [400] * free + [429] * (40 - free)
    refused = reset(stranger, LI[0], current)  # the right code during the wait does not reset either
    assert refused.status_code == 429 and "请稍后再试" in refused.text and refused.headers["retry-after"] == "1"
    # the account's delay is the same one the login form applies
    assert login(browsers(STRANGER), LI[0], LI[1]).status_code == 429
    with runtime_of(seeded).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=LI[0])
        assert person is not None and person.password_hash == old_hash
        actions = [e.action for e in session.scalars(select(WorkLogEntry))]
    assert actions.count("password.reset_failure") == free and "password.reset" not in actions
    # wrong login passwords count on the reset form as well
    clock.advance(settings.lockout_seconds)
    exhaust(browsers(STRANGER), LI[0], settings)
    assert reset(browsers(STRANGER), LI[0], current).status_code == 429
    # after the wait the owner resets with the current code
    clock.advance(1)
    done = reset(browsers(OWNER), LI[0], current)
    assert done.status_code == 200 and "密码已重置" in done.text
    with runtime_of(seeded).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=LI[0])
        assert person is not None and verify_password(person.password_hash, "Neues-Passwort-2026")


def test_unknown_numbers_on_the_reset_form_are_slowed_alike(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    stranger = browsers(STRANGER)
    statuses = [reset(stranger, "110101199003070038", "123456").status_code for _ in range(7)]
    assert statuses == [400] * 5 + [429] * 2


def _age_session(app, client: TestClient, minutes: int) -> None:  # type: ignore[no-untyped-def]
    sid = client.cookies.get("idp_session").split(".", 1)[0]
    with runtime_of(app).sessionmaker() as session:
        row = session.scalars(select(SsoSession).where(SsoSession.sid == sid)).one()
        row.auth_time = utcnow() - timedelta(minutes=minutes)
        session.commit()


def test_account_centre_enrols_and_removes_totp_behind_a_recent_login(seeded, browsers, clock) -> None:  # type: ignore[no-untyped-def]
    anonymous = browsers(OWNER)
    to_login = anonymous.get("/account/totp", follow_redirects=False)
    assert to_login.status_code == 303 and to_login.headers["location"] == "/login?next=%2Faccount%2Ftotp"

    me = browsers(OWNER)
    assert login(me, WANG[0], WANG[1]).status_code == 303
    centre = me.get("/account")
    assert centre.status_code == 200 and "个人中心" in centre.text and "未绑定身份验证器" in centre.text
    assert "My account" in me.get("/account?lang=en").text
    me.get("/account?lang=zh-CN")

    enrol = me.get("/account/totp")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrol.text).group(1)  # type: ignore[union-attr]
    assert "otpauth://totp/" in enrol.text and "<svg" in enrol.text and 'aria-label="身份验证器二维码"' in enrol.text
    pending = re.search(r'name="pending" value="([^"]+)"', enrol.text).group(1)  # type: ignore[union-attr]
    code = pyotp.TOTP(secret).now()
    bad = me.post(
        "/account/totp",
        data={"csrf": csrf_of(enrol.text), "pending": pending, "code": "000000" if code != "000000" else "111111"},
    )
    assert bad.status_code == 422 and "动态验证码不正确" in bad.text
    with runtime_of(seeded).sessionmaker() as session:
        assert session.scalars(select(Person.totp_cipher).where(Person.name == "王五")).one() is None
    # someone else's pending secret is not accepted
    other = browsers(OWNER)
    assert login(other, LI[0], LI[1]).status_code == 303
    stolen = other.post(
        "/account/totp",
        data={"csrf": csrf_of(other.get("/login").text), "pending": pending, "code": code},
        follow_redirects=False,
    )
    assert stolen.status_code == 303 and stolen.headers["location"] == "/account/totp"

    done = me.post("/account/totp", data={"csrf": csrf_of(enrol.text), "pending": pending, "code": code})
    assert done.status_code == 200 and "身份验证器已绑定" in done.text
    assert "已绑定身份验证器" in me.get("/account").text
    runtime = runtime_of(seeded)
    with runtime.sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=runtime.settings, number=WANG[0])
        assert person is not None and party_service.verify_totp(person, pyotp.TOTP(secret).now(), settings=runtime.settings)

    # removal: needs a recent login, then a current code
    remove_page = me.get("/account/totp")
    assert "解除身份验证器" in remove_page.text
    _age_session(seeded, me, 11)
    stale = me.post(
        "/account/totp/remove", data={"csrf": csrf_of(remove_page.text), "code": pyotp.TOTP(secret).now()}, follow_redirects=False
    )
    assert stale.status_code == 303 and stale.headers["location"].startswith("/login?next=")
    assert me.get("/account/totp", follow_redirects=False).status_code == 303
    assert login(me, WANG[0], WANG[1]).status_code == 303  # signing in again makes it recent
    remove_page = me.get("/account/totp")
    wrong = me.post("/account/totp/remove", data={"csrf": csrf_of(remove_page.text), "code": "12345x"})
    assert wrong.status_code == 401
    removed = me.post("/account/totp/remove", data={"csrf": csrf_of(remove_page.text), "code": pyotp.TOTP(secret).now()})
    assert removed.status_code == 200 and "身份验证器已解除" in removed.text
    with runtime_of(seeded).sessionmaker() as session:
        assert session.scalars(select(Person.totp_cipher).where(Person.name == "王五")).one() is None
        actions = [e.action for e in session.scalars(select(WorkLogEntry))]
    assert {"totp.enrol", "totp.remove", "totp.remove_failure"} <= set(actions)
    # without a valid CSRF token nothing happens
    assert me.post("/account/totp/remove", data={"csrf": "nope", "code": "123456"}).status_code == 403
