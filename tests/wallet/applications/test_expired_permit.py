"""An expired food permit is not reused (while_valid): it is listed as missing, and submitting is refused
with the whole list at once and nothing stored."""

from __future__ import annotations

from datetime import date

from wallet.applications import seed as demo
from wallet.applications.models import Application, ApplicationMaterial

from .conftest import ORG, ZHANG, World


def test_expired_permit_is_listed_missing(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    # Five years from 2020-01-10: last valid day 2025-01-09, expired on 2 March 2026.
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2020, 1, 10))
    headers = world.token(*ZHANG, act_for=ORG[0])

    body = world.client.get(f"/api/services/{demo.RESTAURANT}/prepare", headers=headers).json()

    reqs = {r["key"]: r for r in body["requirements"]}
    assert reqs["business_license"]["status"] == "satisfied"
    assert reqs["food_permit"]["status"] == "missing"
    assert reqs["food_permit"]["reason"] == "expired" and reqs["food_permit"]["action"] == "obtain"
    assert [m["key"] for m in body["missing"]] == ["food_permit", "opening_form"]

    before = (world.count(Application), world.count(ApplicationMaterial), world.worklog_size())
    r = world.client.post(
        "/api/applications",
        headers=headers,
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-04-01"}},
        },
    )
    assert r.status_code == 422
    assert r.json()["error"] == "materials_missing" and r.json()["field"] == "requirements"
    assert "食品经营许可证" in r.json()["detail"]
    assert (world.count(Application), world.count(ApplicationMaterial), world.worklog_size()) == before
