"""Limits at the edge (issue 15, item 4), driven over HTTP through the whole app: anonymous requests that
each store a row are rate limited per address (429 + Retry-After) and the rows stay bounded; nobody books
every place of a slot or more than the daily cap; the running server purges abandoned sign-in flows."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from channels.models import WebSession
from channels.rendering import CSRF_COOKIE
from core.clock import utcnow
from core.ratelimit import kind_of
from core.runtime import runtime_of
from core.settings import Settings
from identifiers.iso7064 import mod_11_2_check
from idp.oauth.models import DeviceCode
from idp.parties.models import Person
from idp.web.pages import CSRF_COOKIE as IDP_CSRF_COOKIE
from wallet.applications.models import Appointment, AppointmentSlot
from wallet.services.models import ServiceItem

LIMIT = 5
CSRF = "row-limits-csrf-token-0123456789"
BIRTH_REGISTRATION = "WSJK-GG-0001"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small creation limit so the floods reach it quickly (the other kinds out of the way)."""
    return settings.model_copy(update={
        "rate_limit_create_per_minute": LIMIT,
        "rate_limit_login_per_minute": 0,
        "login_max_failures": 10_000,
    })


def _from(app: Any, address: str, calls: list[tuple[str, str, dict[str, Any]]], *,
          keep_cookies: bool = False) -> list[httpx.Response]:
    """Requests from one client address; a flood script keeps no cookies, a browser does."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            out = []
            for method, path, kw in calls:
                if not keep_cookies:
                    c.cookies.clear()
                c.cookies.set(CSRF_COOKIE, CSRF)
                c.cookies.set(IDP_CSRF_COOKIE, CSRF)
                out.append(await c.request(method, path, **kw))
            return out

    return asyncio.run(run())


def _count(app: Any, model: Any) -> int:
    with runtime_of(app).sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _limited(responses: list[httpx.Response], ok: int) -> list[httpx.Response]:
    """Assert the first LIMIT answers are ``ok`` and the rest 429 with Retry-After; the refused ones."""
    codes = [r.status_code for r in responses]
    assert codes[:LIMIT] == [ok] * LIMIT, codes
    assert set(codes[LIMIT:]) == {429}, codes
    over = responses[LIMIT:]
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in over)
    return over


def test_the_rules_name_the_row_creating_endpoints() -> None:
    for method, path in (("GET", "/hall/login"), ("GET", "/hall/switch"), ("POST", "/device_authorization"),
                         ("POST", "/kiosk/start"), ("POST", "/register")):
        assert kind_of(method, path) == "create", path
    assert kind_of("GET", "/hall/callback") is None and kind_of("GET", "/register") is None
    assert kind_of("GET", "/hall/licenses") is None and kind_of("POST", "/token") is None
    assert kind_of("GET", "/hall/progress") == "status"  # the public progress page guesses query codes too


def test_anonymous_hall_login_flood_is_limited_and_stores_few_rows(world: Any, app: Any) -> None:
    before = _count(app, WebSession)
    answers = _from(app, "10.15.0.1", [("GET", "/hall/login", {})] * 40)
    assert all(r.headers["location"].startswith("/authorize?") for r in answers[:LIMIT])
    page = _limited(answers, 302)[0]
    assert page.headers["content-type"].startswith("text/html") and "请求过于频繁" in page.text
    assert _count(app, WebSession) - before == LIMIT  # one per admitted call, none for the 35 refused
    # a browser keeps its cookie: its repeated sign-in starts reuse its one session row
    again = _from(app, "10.15.0.2", [("GET", "/hall/login", {})] * 3, keep_cookies=True)
    assert [r.status_code for r in again] == [302] * 3
    assert _count(app, WebSession) - before == LIMIT + 1
    # other addresses, and other kinds of request, are not affected
    assert _from(app, "10.15.0.1", [("GET", "/hall", {})])[0].status_code == 200


def test_device_authorization_flood_is_limited_and_stores_few_rows(world: Any, app: Any) -> None:
    before = _count(app, DeviceCode)
    form = {"data": {"client_id": "demo-kiosk", "scope": "openid profile"}}
    answers = _from(app, "10.15.1.1", [("POST", "/device_authorization", form)] * 30)
    assert all("device_code" in r.json() for r in answers[:LIMIT])
    refused = _limited(answers, 200)[0]
    assert refused.json()["error"] == "rate_limited" and refused.headers["content-type"] == "application/json"
    assert _count(app, DeviceCode) - before == LIMIT


def test_kiosk_start_is_limited_and_counted_once(world: Any, app: Any) -> None:
    """The kiosk's own call to the embedded idp is part of its start, not a second request to count (under
    the in-process transport's one address, every kiosk of the city would share a bucket)."""
    before = _count(app, DeviceCode)
    start = ("POST", "/kiosk/start", {"data": {"csrf": CSRF}})
    kiosks = [_from(app, f"10.15.2.{i}", [start])[0] for i in range(1, 2 * LIMIT + 1)]
    assert [r.headers.get("location") for r in kiosks] == ["/kiosk/scan"] * (2 * LIMIT)
    answers = _from(app, "10.15.2.100", [start] * (LIMIT + 3), keep_cookies=True)
    assert all(r.headers["location"] == "/kiosk/scan" for r in answers[:LIMIT])
    assert "请求过于频繁" in _limited(answers, 303)[0].text
    assert _count(app, DeviceCode) - before == 3 * LIMIT


def _number(seq: int) -> str:
    body = f"11010119900101{seq:03d}"
    return body + mod_11_2_check(body)


def test_registration_flood_is_limited(world: Any, app: Any) -> None:
    before = _count(app, Person)
    calls = [("POST", "/register", {"data": {"csrf": CSRF, "number": _number(100 + i), "name": f"注册{i}",
                                             "password": "Flood-2026-pass"}}) for i in range(LIMIT + 3)]
    answers = _from(app, "10.15.3.1", calls)
    assert all("注册成功" in r.text for r in answers[:LIMIT])
    assert "请求过于频繁" in _limited(answers, 200)[0].text
    assert _count(app, Person) - before == LIMIT


# --- appointments ----------------------------------------------------------------------------------------------


def _slot_ids(world: Any, n: int) -> list[int]:
    slots = world.api("holder_a", "GET", "/api/centres/HALL-CITY/slots").json()
    assert len(slots) >= n and all(s["free"] == 3 for s in slots[:n])
    return [int(s["id"]) for s in slots[:n]]


def _book(world: Any, role: str, slot: int) -> Any:
    return world.api(role, "POST", "/api/appointments", json={"slot_id": slot, "item": BIRTH_REGISTRATION})


def _hall_book(world: Any, slot: int) -> Any:
    return world.page("holder_a", "POST", f"/hall/applications/{world.refs['app_a']}/appointment",
                      data={"csrf": world.refs["csrf"], "slot_id": str(slot)})


def _state(world: Any) -> tuple[int, list[int]]:
    with runtime_of(world.app).sessionmaker() as session:
        booked = list(session.scalars(select(AppointmentSlot.booked).order_by(AppointmentSlot.id)))
        return int(session.scalar(select(func.count()).select_from(Appointment)) or 0), booked


def _cancel(world: Any, role: str, booking: Any) -> None:
    assert world.api(role, "DELETE", f"/api/appointments/{booking.json()['id']}").status_code == 200


def test_nobody_books_a_whole_slot_or_past_the_daily_cap(world: Any) -> None:
    with runtime_of(world.app).sessionmaker() as session:  # the item takes one counter visit: bookable in the hall
        session.execute(update(ServiceItem).where(ServiceItem.code == BIRTH_REGISTRATION).values(needs_visit=True))
        session.commit()
    first, second, third = _slot_ids(world, 3)
    mine = _book(world, "holder_a", first)
    assert mine.status_code == 201, mine.text

    # every further place, here or in other slots, is refused with a sentence naming the rule
    before = _state(world)
    for slot in (first, first, second, third):
        again = _book(world, "holder_a", slot)
        assert again.status_code == 409 and again.json()["error"] == "appointment_already_booked", again.text
    page = _hall_book(world, second)
    assert page.status_code == 409 and page.headers["content-type"].startswith("text/html")
    assert "您已预约过该事项" in page.text
    assert _state(world) == before

    # the slot's other places go to other people, and no further
    assert [_book(world, role, first).status_code for role in ("holder_b", "clerk_x")] == [201, 201]
    full = _book(world, "approver_x", first)
    assert full.status_code == 409 and full.json()["error"] == "slot_unavailable"
    free = {s["id"]: s["free"] for s in world.api("holder_a", "GET", "/api/centres/HALL-CITY/slots").json()}
    assert free[first] == 0

    # booking and cancelling over and over stops at the daily cap (3)
    _cancel(world, "holder_a", mine)
    for slot in (second, third):
        made = _book(world, "holder_a", slot)
        assert made.status_code == 201, made.text
        _cancel(world, "holder_a", made)
    before = _state(world)
    over = _book(world, "holder_a", second)
    assert over.status_code == 409 and over.json()["error"] == "appointment_daily_limit"
    page = _hall_book(world, second)
    assert page.status_code == 409 and "今天的预约次数已达上限" in page.text
    assert _state(world) == before


# --- purge -----------------------------------------------------------------------------------------------------


@pytest.fixture
def purging_app(settings: Settings, engine: Any) -> Any:
    from onenumber.app import create_app

    return create_app(settings.model_copy(update={"purge_interval": 0.1}))


def _session_ids(app: Any) -> set[str]:
    with runtime_of(app).sessionmaker() as session:
        return set(session.scalars(select(WebSession.id)))


def test_the_running_server_purges_abandoned_sign_in_flows(purging_app: Any) -> None:
    from fastapi.testclient import TestClient

    app = purging_app
    with TestClient(app):
        started = _from(app, "10.15.4.1", [("GET", "/hall/login", {})] * 3)
        assert [r.status_code for r in started] == [302] * 3
        abandoned = _session_ids(app)
        assert len(abandoned) == 3
        assert _from(app, "10.15.4.2", [("GET", "/hall/login", {})])[0].status_code == 302
        live = _session_ids(app) - abandoned
        assert len(live) == 1
        with runtime_of(app).sessionmaker() as session:  # the three flood flows were left 31 minutes ago
            session.execute(update(WebSession).where(WebSession.id.in_(abandoned))
                            .values(last_seen_at=utcnow() - timedelta(minutes=31)))
            session.commit()
        deadline = time.monotonic() + 10
        while _session_ids(app) != live and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_ids(app) == live  # the flow still in progress is kept
