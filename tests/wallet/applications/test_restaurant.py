"""Opening a restaurant: the business license comes from the wallet, a still-valid food permit is reused,
only the application form is asked for; the same Idempotency-Key gives one application."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from wallet.applications import seed as demo
from wallet.applications.models import Application

from .conftest import LI, ORG, ZHANG, World


def _licenses(world: World) -> tuple[str, str]:
    business = world.issue(
        "business_license",
        ORG[0],
        ORG[1],
        {"name": ORG[1], "legal_representative": "张三", "address": "示例市人民路 1 号"},
        date(2024, 6, 1),
    )
    permit = world.issue(
        "food_permit",
        ORG[0],
        ORG[1],
        {"operator": ORG[1], "premises": "示例市人民路 1 号", "scope": "热食类食品制售"},
        date(2025, 1, 10),
    )
    return business, permit


def test_only_the_form_is_asked_for(world: World) -> None:
    business, permit = _licenses(world)
    headers = world.token(*ZHANG, act_for=ORG[0])

    prep = world.client.get(f"/api/services/{demo.RESTAURANT}/prepare", headers=headers)

    assert prep.status_code == 200, prep.text
    body = prep.json()
    assert body["applicant"] == {
        "kind": "organization",
        "name": ORG[1],
        "acting_role": "legal_representative",
    }
    reqs = {r["key"]: r for r in body["requirements"]}
    assert reqs["business_license"]["status"] == "satisfied"
    assert reqs["business_license"]["license_identifier"] == business
    assert reqs["business_license"]["trust"] == "A" and reqs["business_license"]["reused"] is True
    assert reqs["food_permit"]["status"] == "satisfied"
    assert reqs["food_permit"]["license_identifier"] == permit
    assert [m["key"] for m in body["missing"]] == ["opening_form"]
    assert body["missing"][0]["action"] == "fill"
    assert reqs["opening_form"]["prefill"] == {"shop_name": ORG[1]}


def test_submit_twice_with_one_key_gives_one_application(world: World) -> None:
    _licenses(world)
    headers = {**world.token(*ZHANG, act_for=ORG[0]), "Idempotency-Key": "restaurant-1"}
    body = {
        "item": demo.RESTAURANT,
        "form": {"opening_form": {"address": "示例市人民路 1 号", "seats": 40, "opening_date": "2026-04-01"}},
    }

    first = world.client.post("/api/applications", json=body, headers=headers)
    again = world.client.post("/api/applications", json=body, headers=headers)

    assert first.status_code == 201, first.text
    assert again.status_code == 200
    app = first.json()
    assert again.json()["serial"] == app["serial"] and again.json()["query_code"] == app["query_code"]
    assert app["serial"].startswith("20260302" + demo.MARKET_REGULATION[-6:])
    assert len(app["query_code"]) == 8
    assert world.count(Application) == 1
    # Accepted online and routed to both departments with a 5-working-day deadline.
    assert app["status"] == "in_review"
    assert app["deadline"] == "2026-03-09"
    routed = [e["department"] for e in app["timeline"] if e["action"] == "routed"]
    assert routed == [demo.MARKET_REGULATION, demo.APPROVAL_BUREAU]
    by_key = {m["requirement"]: m for m in app["materials"]}
    assert by_key["business_license"]["source"] == "wallet" and by_key["business_license"]["reused"]
    assert by_key["food_permit"]["trust"] == "A"
    assert by_key["opening_form"]["source"] == "form"
    assert app["form"]["opening_form"] == {
        "shop_name": ORG[1],
        "address": "示例市人民路 1 号",
        "seats": 40,
        "opening_date": "2026-04-01",
    }


def test_same_key_different_request_is_refused(world: World) -> None:
    _licenses(world)
    headers = {**world.token(*ZHANG, act_for=ORG[0]), "Idempotency-Key": "restaurant-2"}
    form = {"address": "人民路 1 号", "seats": 40, "opening_date": "2026-04-01"}
    assert (
        world.client.post(
            "/api/applications",
            json={"item": demo.RESTAURANT, "form": {"opening_form": form}},
            headers=headers,
        ).status_code
        == 201
    )
    other = world.client.post(
        "/api/applications",
        json={"item": demo.RESTAURANT, "form": {"opening_form": {**form, "seats": 80}}},
        headers=headers,
    )
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert world.session.execute(select(Application)).scalars().one().form_data["opening_form"]["seats"] == 40


def test_an_empty_or_blank_key_is_refused_and_changes_nothing(world: World) -> None:
    """An empty Idempotency-Key was stored as "" and skipped by the replay check: the second one was a 500."""
    _licenses(world)
    body = {
        "item": demo.RESTAURANT,
        "form": {"opening_form": {"address": "人民路 1 号", "seats": 40, "opening_date": "2026-04-01"}},
    }
    for key in ("", "", " ", "a b", "钥匙".encode()):
        headers = {**world.token(*ZHANG, act_for=ORG[0]), "Idempotency-Key": key}
        refused = world.client.post("/api/applications", json=body, headers=headers)
        assert refused.status_code == 422, (key, refused.status_code, refused.text)
        assert "Idempotency-Key" in refused.text
    assert world.count(Application) == 0
    without = world.client.post("/api/applications", json=body, headers=world.token(*ZHANG, act_for=ORG[0]))
    assert without.status_code == 201, without.text


def test_business_item_needs_the_organisation(world: World) -> None:
    before = world.worklog_size()
    r = world.client.get(f"/api/services/{demo.RESTAURANT}/prepare", headers=world.token(*ZHANG))
    assert r.status_code == 422
    assert r.json()["error"] == "organisation_required" and r.json()["field"] == "act_for"
    assert world.worklog_size() == before


def test_a_read_only_agent_sees_the_companys_application_but_cannot_change_it(world: World) -> None:
    """An agent with only ``wallet:read`` could supplement, rate and complain about the company's applications
    (issue 14): they may look, and each change is refused, naming the delegation; with ``wallet:apply`` the
    same requests get past the delegation check (to whatever the application's state says)."""
    _licenses(world)
    body = {
        "item": demo.RESTAURANT,
        "form": {"opening_form": {"address": "人民路 1 号", "seats": 40, "opening_date": "2026-04-01"}},
    }
    made = world.client.post("/api/applications", json=body, headers=world.token(*ZHANG, act_for=ORG[0]))
    assert made.status_code == 201, made.text
    serial = made.json()["serial"]
    reader = world.token(*LI, act_for=ORG[0], act_role="agent", scopes=("wallet:read",))
    assert world.client.get(f"/api/applications/{serial}", headers=reader).status_code == 200
    changes = (
        (f"/api/applications/{serial}/supplement", {"form": {"opening_form": {"seats": 80}}}),
        (f"/api/applications/{serial}/rating", {"score": 1, "comment": "差"}),
        ("/api/complaints", {"item": demo.RESTAURANT, "text": "太慢", "serial": serial}),
    )
    before = world.session.execute(select(Application)).scalars().one().form_data
    for path, payload in changes:
        refused = world.client.post(path, json=payload, headers=reader)
        assert refused.status_code == 403, (path, refused.status_code, refused.text)
        assert (refused.json()["error"], refused.json()["field"]) == ("delegation_insufficient", "act_for"), path
    world.session.expire_all()
    assert world.session.execute(select(Application)).scalars().one().form_data == before
    applier = world.token(*LI, act_for=ORG[0], act_role="agent", scopes=("wallet:read", "wallet:apply"))
    for path, payload in changes[:2]:
        answer = world.client.post(path, json=payload, headers=applier)
        assert answer.json().get("error") != "delegation_insufficient", (path, answer.text)
