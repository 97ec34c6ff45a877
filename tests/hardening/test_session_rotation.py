"""A new session id and a new CSRF token at every privilege change (issue 15, item 5): idp login, acting for
an organisation (at the idp and through the hall's switch), TOTP step-up, hall logout and idp logout. A
cookie planted or copied before the change names nothing afterwards; the CSRF token read before it is
refused. Outside development the cookies are ``__Host-`` cookies (Secure, Path=/, no Domain) and a plain
name planted beside them is ignored."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.models import WebSession
from channels.rendering import CSRF_COOKIE as WALLET_CSRF
from core.runtime import runtime_of
from core.settings import Settings
from core.web import cookies
from idp.parties import service as party_service
from idp.web.pages import CSRF_COOKIE as IDP_CSRF
from onenumber import seed as platform_seed
from storage.deps import BLOB_STORE

ZHANG = ("11010519491231002X", "Zhangsan-2026")
LI = ("110102199101010078", "Lisi-2026")
ORG = "91110000600037341L"
HOST = "testserver.local"  # where the app's own Set-Cookie lands in a TestClient's jar
PLANTED = "planted-csrf-token-0123456789"


@pytest.fixture
def seeded(app: Any) -> Any:
    """The app with the demo data of ``onenumber seed``."""
    with runtime_of(app).sessionmaker() as session:
        platform_seed.run(session=session, settings=runtime_of(app).settings, blob_store=runtime_of(app).get(BLOB_STORE))
    return app


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def next_of(page: str) -> str:
    found = re.search(r'name="next" value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def drive(browser: TestClient, response: Any, *, number: str, password: str, act_for: str | None = None,
          until: str = "/hall") -> Any:
    """Follow redirects and answer the idp's pages (login, organisation, consent) until ``until``."""
    for _ in range(15):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if urlparse(location).path.rstrip("/") == until:
                return response
            response = browser.get(location, follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:500]
        page = response.text
        form = {"csrf": csrf_of(page), "next": next_of(page)}
        if 'action="/login"' in page:
            response = browser.post("/login", data={**form, "number": number, "password": password},
                                    follow_redirects=False)
        elif 'action="/login/select"' in page:
            choice = ""
            if act_for:
                options = re.findall(r'name="delegation" value="(\d+)"', page)
                assert options, page[:500]
                choice = options[0]
            response = browser.post("/login/select", data={**form, "delegation": choice}, follow_redirects=False)
        elif 'action="/consent"' in page:
            response = browser.post("/consent", data={**form, "decision": "allow"}, follow_redirects=False)
        else:
            raise AssertionError(f"unexpected page: {page[:500]}")
    raise AssertionError("the flow did not finish")


def hall_login(app: Any, number: str = ZHANG[0], password: str = ZHANG[1], **kw: Any) -> TestClient:
    browser = TestClient(app)
    drive(browser, browser.get("/hall/login", follow_redirects=False), number=number, password=password, **kw)
    return browser


def signed_in_at_hall(app: Any, cookie: str) -> bool:
    """True when a browser carrying only this hall cookie is signed in."""
    with TestClient(app, cookies={"hall_session": cookie}) as other:
        return other.get("/hall/licenses", follow_redirects=False).status_code == 200


def signed_in_at_idp(app: Any, cookie: str) -> bool:
    """True when a browser carrying only this idp cookie has a live idp session."""
    with TestClient(app, cookies={"idp_session": cookie}) as other:
        return other.get("/account/sessions", follow_redirects=False).status_code == 200


def test_planted_idp_session_and_csrf_do_not_survive_login(seeded: Any) -> None:
    attacker = TestClient(seeded)
    drive(attacker, attacker.get("/login"), number=LI[0], password=LI[1], until="/account/sessions")
    planted = attacker.cookies.get("idp_session")
    assert planted and signed_in_at_idp(seeded, planted)
    victim = TestClient(seeded)
    victim.cookies.set("idp_session", planted, domain=HOST)
    victim.cookies.set(IDP_CSRF, PLANTED, domain=HOST)
    page = victim.get("/login")
    assert csrf_of(page.text) == PLANTED  # the page uses the planted token: the login itself must renew it
    done = victim.post("/login", data={"csrf": PLANTED, "number": ZHANG[0], "password": ZHANG[1], "next": ""},
                       follow_redirects=False)
    assert done.status_code == 303, done.text[:300]
    mine = victim.cookies.get("idp_session", domain=HOST)
    assert mine and mine != planted and signed_in_at_idp(seeded, mine)
    assert not signed_in_at_idp(seeded, planted)  # the planted session ended with the login
    assert victim.cookies.get(IDP_CSRF, domain=HOST) not in (None, PLANTED)
    stale = victim.post("/account/sessions/logout-all", data={"csrf": PLANTED}, follow_redirects=False)
    assert stale.status_code == 403 and signed_in_at_idp(seeded, mine)


def test_acting_for_and_step_up_at_the_idp_renew_the_session_cookie(seeded: Any) -> None:
    browser = TestClient(seeded)
    page = browser.get("/login")
    chosen = browser.post("/login", data={"csrf": csrf_of(page.text), "number": ZHANG[0], "password": ZHANG[1],
                                          "next": ""}, follow_redirects=False)
    assert chosen.headers["location"].startswith("/login/select")
    before, csrf_before = browser.cookies.get("idp_session"), browser.cookies.get(IDP_CSRF)
    select = browser.get("/login/select")
    option = re.findall(r'name="delegation" value="(\d+)"', select.text)[0]
    done = browser.post("/login/select", data={"csrf": csrf_of(select.text), "delegation": option, "next": ""},
                        follow_redirects=False)
    assert done.status_code == 303, done.text[:300]
    acting = browser.cookies.get("idp_session")
    assert acting != before and browser.cookies.get(IDP_CSRF) != csrf_before
    assert signed_in_at_idp(seeded, acting) and not signed_in_at_idp(seeded, before)

    settings: Settings = runtime_of(seeded).settings
    with runtime_of(seeded).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=ZHANG[0])
        assert person is not None
        secret = party_service.set_totp(session=session, settings=settings, person=person)
        session.commit()
    totp = browser.get("/login/totp")
    csrf_acting = browser.cookies.get(IDP_CSRF)
    raised = browser.post("/login/totp", data={"csrf": csrf_of(totp.text), "code": pyotp.TOTP(secret).now(),
                                               "next": ""}, follow_redirects=False)
    assert raised.status_code == 303, raised.text[:300]
    stepped = browser.cookies.get("idp_session")
    assert stepped not in (acting, before) and browser.cookies.get(IDP_CSRF) != csrf_acting
    assert signed_in_at_idp(seeded, stepped) and not signed_in_at_idp(seeded, acting)


def test_a_hall_csrf_token_planted_before_login_is_refused_after_it(seeded: Any) -> None:
    """Double-submit CSRF is only as good as the cookie: one planted before login must not pass after it."""
    victim = TestClient(seeded)
    victim.cookies.set(WALLET_CSRF, PLANTED, domain=HOST)
    drive(victim, victim.get("/hall/login", follow_redirects=False), number=ZHANG[0], password=ZHANG[1])
    renewed = victim.cookies.get(WALLET_CSRF)
    assert renewed and renewed != PLANTED
    refused = victim.post("/hall/logout", data={"csrf": PLANTED}, follow_redirects=False)
    assert refused.status_code == 403, refused.status_code
    assert victim.get("/hall/licenses", follow_redirects=False).status_code == 200  # still signed in
    page = victim.get("/hall/licenses")
    assert csrf_of(page.text) == renewed and PLANTED not in page.text


def test_hall_switch_to_acting_for_the_company_gives_a_new_session(seeded: Any) -> None:
    browser = hall_login(seeded)
    before, csrf_before = browser.cookies.get("hall_session"), browser.cookies.get(WALLET_CSRF)
    assert signed_in_at_hall(seeded, before)
    drive(browser, browser.get("/hall/switch?next=/hall", follow_redirects=False), number=ZHANG[0],
          password=ZHANG[1], act_for=ORG)
    after = browser.cookies.get("hall_session")
    assert after and after != before and browser.cookies.get(WALLET_CSRF) != csrf_before
    assert not signed_in_at_hall(seeded, before)  # the old id died with the switch
    page = browser.get("/hall/licenses", follow_redirects=False)
    assert page.status_code == 200 and 'id="who-org"' in page.text  # now acting for the company


def test_hall_logout_ends_both_sessions_and_renews_csrf(seeded: Any) -> None:
    browser = hall_login(seeded)
    hall_cookie, idp_cookie = browser.cookies.get("hall_session"), browser.cookies.get("idp_session")
    wallet_csrf, idp_csrf = browser.cookies.get(WALLET_CSRF), browser.cookies.get(IDP_CSRF)
    page = browser.get("/hall/licenses")
    out = browser.post("/hall/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith("/logout?")
    assert browser.cookies.get(WALLET_CSRF) != wallet_csrf
    back = browser.get(out.headers["location"], follow_redirects=False)  # single logout at the idp
    assert back.status_code == 302 and urlparse(back.headers["location"]).path == "/hall/"
    assert browser.cookies.get(IDP_CSRF) != idp_csrf
    assert not signed_in_at_hall(seeded, hall_cookie) and not signed_in_at_idp(seeded, idp_cookie)
    assert browser.cookies.get("hall_session") is None and browser.cookies.get("idp_session") is None


def test_logout_half_way_through_a_login_deletes_that_session_too(seeded: Any) -> None:
    browser = TestClient(seeded)
    browser.get("/hall/login", follow_redirects=False)  # a session holding the pending flow, not signed in
    with runtime_of(seeded).sessionmaker() as session:
        rows = session.execute(select(func.count()).select_from(WebSession)).scalar_one()
    token = csrf_of(browser.get("/verify").text)
    browser.post("/hall/logout", data={"csrf": token}, follow_redirects=False)
    with runtime_of(seeded).sessionmaker() as session:
        assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == rows - 1


def test_idp_logout_ends_the_session_and_renews_csrf(seeded: Any) -> None:
    browser = TestClient(seeded)
    drive(browser, browser.get("/login"), number=LI[0], password=LI[1], until="/account/sessions")
    cookie, csrf = browser.cookies.get("idp_session"), browser.cookies.get(IDP_CSRF)
    confirm = browser.get("/logout")
    assert confirm.status_code == 200
    done = browser.post("/logout", data={"csrf": csrf_of(confirm.text)}, follow_redirects=False)
    assert done.status_code == 200, done.text[:300]
    assert not signed_in_at_idp(seeded, cookie) and browser.cookies.get(IDP_CSRF) not in (None, csrf)


# --- __Host- cookies outside development --------------------------------------------------------------


def production(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "env": "production",
        "issuer": "https://onenumber.example",
        "s3_secret_key": "a-production-s3-secret",
        "rate_limit_login_per_minute": 0,
        "rate_limit_create_per_minute": 0,
    })


def test_cookie_names_follow_the_environment(settings: Settings) -> None:
    assert cookies.cookie_name(settings, "hall_session") == "hall_session"
    assert cookies.cookie_name(production(settings), "hall_session") == "__Host-hall_session"


def test_cookies_outside_development_are_host_cookies(settings: Settings, engine: Any) -> None:
    from onenumber.app import create_app

    app = create_app(production(settings))
    with runtime_of(app).sessionmaker() as session:
        platform_seed.run(session=session, settings=runtime_of(app).settings, blob_store=runtime_of(app).get(BLOB_STORE))
    set_cookies: list[str] = []
    with TestClient(app, base_url="https://onenumber.example") as browser:
        browser.event_hooks["response"] = [lambda r: set_cookies.extend(r.headers.get_list("set-cookie"))]
        drive(browser, browser.get("/hall/login", follow_redirects=False), number=ZHANG[0], password=ZHANG[1])
        page = browser.get("/hall/licenses", follow_redirects=False)
        assert page.status_code == 200, page.text[:300]  # the hall reads what it set: the names agree
        hall_cookie = browser.cookies.get("__Host-hall_session")
        assert hall_cookie
        names = {c.split("=", 1)[0] for c in set_cookies}
        for name in ("hall_session", "wallet_csrf", "idp_session", "idp_csrf"):
            assert f"__Host-{name}" in names and name not in names, (name, names)
        for header in set_cookies:
            parts = [p.strip().lower() for p in header.split(";")]
            assert header.startswith("__Host-"), header
            assert "secure" in parts and "path=/" in parts and "httponly" in parts, header
            assert not any(p.startswith("domain=") for p in parts), header
    # a plain-named cookie (settable from a sibling subdomain or over http) is not read in production
    with TestClient(app, base_url="https://onenumber.example", cookies={"hall_session": hall_cookie}) as other:
        assert other.get("/hall/licenses", follow_redirects=False).status_code in (302, 303)
    with TestClient(app, base_url="https://onenumber.example",
                    cookies={"__Host-hall_session": hall_cookie}) as same:
        assert same.get("/hall/licenses", follow_redirects=False).status_code == 200
