"""Deadlines count working days (weekends, 2026 holidays, 调休 working weekends) with frozen time; overdue
applications show in the department's overdue list; the green channel moves up, an agent gets no priority."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from wallet.applications import seed as demo
from wallet.applications.models import Application
from wallet.services import calendar

from .conftest import LI, ORG, WANG, ZHANG, World


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def _submit(world: World, headers: dict[str, str], **extra: object):  # type: ignore[no-untyped-def]
    return world.client.post(
        "/api/applications",
        headers=headers,
        json={
            "item": demo.RESTAURANT,
            **extra,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-06-01"}},
        },
    )


@pytest.fixture
def licensed(world: World) -> World:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2025, 6, 1))
    return world


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday → Monday
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday 14 Feb is a 调休 working day
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # Spring Festival 15–23 Feb
        (date(2026, 4, 30), 5, date(2026, 5, 11)),  # Labour Day 1–5 May, Saturday 9 May works
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Sunday 20 Sep works before National Day
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # 1–7 Oct off, 8, 9, Saturday 10 Oct
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_add_working_days(world: World, start: date, days: int, end: date) -> None:
    assert calendar.add_working_days(session=world.session, start=start, days=days) == end
    assert calendar.working_days_between(session=world.session, start=start, end=end) == days


def test_deadline_and_overdue_list(licensed: World) -> None:
    world = licensed
    world.clock.now = _at(date(2026, 4, 30))
    sub = _submit(world, world.token(*ZHANG, act_for=ORG[0]))
    assert sub.status_code == 201, sub.text
    assert sub.json()["deadline"] == "2026-05-11"
    staff = world.token(*WANG, roles=(f"clerk:{demo.MARKET_REGULATION}",))
    queue_url = f"/api/departments/{demo.MARKET_REGULATION}/queue"

    world.clock.now = _at(date(2026, 5, 9))  # the 调休 Saturday: one working day left
    near = world.client.get(queue_url, params={"view": "near_due"}, headers=staff).json()
    assert [(e["serial"], e["days_left"], e["near_due"]) for e in near] == [(sub.json()["serial"], 1, True)]
    assert world.client.get(queue_url, params={"view": "overdue"}, headers=staff).json() == []

    world.clock.now = _at(date(2026, 5, 12))
    overdue = world.client.get(queue_url, params={"view": "overdue"}, headers=staff).json()
    assert [(e["serial"], e["overdue"], e["days_left"]) for e in overdue] == [
        (sub.json()["serial"], True, -1)
    ]
    dash = world.client.get("/api/dashboard/applications", headers=staff).json()
    assert dash["overall"]["overdue"] == 1


def test_green_channel_first_agent_no_priority(licensed: World) -> None:
    world = licensed
    legal_rep = world.token(*ZHANG, act_for=ORG[0])
    normal = _submit(world, legal_rep).json()["serial"]
    world.clock.now = _at(date(2026, 3, 3))  # a later deadline
    green = _submit(world, legal_rep, green_channel="elderly").json()["serial"]
    agent = world.token(*LI, act_for=ORG[0], act_role="agent", scopes=("wallet:apply",))
    before = world.count(Application)
    refused = _submit(world, agent, green_channel="elderly")
    assert refused.status_code == 422
    assert refused.json()["error"] == "no_priority_for_agents" and refused.json()["field"] == "green_channel"
    assert world.count(Application) == before
    by_agent = _submit(world, agent).json()["serial"]

    staff = world.token(*WANG, roles=(f"clerk:{demo.MARKET_REGULATION}",))
    entries = world.client.get(f"/api/departments/{demo.MARKET_REGULATION}/queue", headers=staff).json()
    assert [e["serial"] for e in entries] == [green, normal, by_agent]
    assert [e["agent"] for e in entries] == [False, False, True]
    page = world.client.get(
        f"/api/departments/{demo.MARKET_REGULATION}/queue",
        headers=staff,
        params={"limit": 1, "after": entries[0]["cursor"]},
    ).json()
    assert [e["serial"] for e in page] == [normal]
