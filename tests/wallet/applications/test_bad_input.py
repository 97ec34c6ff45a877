"""Bad input gets a specific error (code and field) and changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from wallet.applications import seed as demo
from wallet.applications.models import Application, Document, Rating, Review

from .conftest import ORG, WANG, ZHANG, World


def _blobs(world: World) -> int:
    return sum(1 for _ in world.blob_store.list())


def _snapshot(world: World) -> tuple[int, ...]:
    return (
        world.count(Application),
        world.count(Document),
        world.count(Review),
        world.count(Rating),
        world.worklog_size(),
        _blobs(world),
    )


def _upload(world: World, headers: dict[str, str], requirement: str, name: str, data: bytes, ctype: str):  # type: ignore[no-untyped-def]
    return world.client.post(
        "/api/applications/materials",
        headers=headers,
        data={"item": demo.FOOD_PERMIT, "requirement": requirement},
        files={"file": (name, data, ctype)},
    )


def test_unknown_item(world: World) -> None:
    headers = world.token(*ZHANG, act_for=ORG[0])
    before = _snapshot(world)
    assert world.client.get("/api/services/NO-SUCH-ITEM").json()["error"] == "unknown_service_item"
    r = world.client.post("/api/applications", headers=headers, json={"item": "NO-SUCH-ITEM"})
    assert r.status_code == 404
    assert r.json()["error"] == "unknown_service_item" and r.json()["field"] == "item"
    assert _snapshot(world) == before


def test_material_of_the_wrong_kind(world: World) -> None:
    headers = world.token(*ZHANG, act_for=ORG[0])
    before = _snapshot(world)
    r = _upload(world, headers, "business_license", "license.pdf", b"%PDF-1.4\n", "application/pdf")
    assert r.status_code == 422
    assert r.json()["error"] == "wrong_material_kind" and r.json()["field"] == "requirement"
    r = _upload(world, headers, "no_such_requirement", "x.pdf", b"%PDF-1.4\n", "application/pdf")
    assert r.json()["error"] == "unknown_requirement"
    assert _snapshot(world) == before


def test_file_too_large_nothing_stored(world: World) -> None:
    headers = world.token(*ZHANG, act_for=ORG[0])
    before = _snapshot(world)
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    r = _upload(world, headers, "floor_plan", "plan.pdf", big, "application/pdf")
    assert r.status_code == 413
    assert r.json()["error"] == "file_too_large" and r.json()["field"] == "file"
    assert _snapshot(world) == before


def test_refused_type_nothing_stored(world: World, tmp_path: Path) -> None:
    headers = world.token(*ZHANG, act_for=ORG[0])
    before = _snapshot(world)
    r = _upload(world, headers, "floor_plan", "plan.docx", b"PK\x03\x04", "application/msword")
    assert r.status_code == 415
    assert r.json()["error"] == "refused_content_type" and r.json()["field"] == "file"
    # A declared PDF whose bytes are not a PDF is refused too.
    r = _upload(world, headers, "floor_plan", "plan.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    assert r.status_code == 415 and r.json()["error"] == "refused_content_type"
    assert _snapshot(world) == before


def test_reviewing_another_departments_application(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2025, 6, 1))
    applicant = world.token(*ZHANG, act_for=ORG[0])
    sub = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-04-01"}},
        },
    )
    serial = sub.json()["serial"]
    health = world.token(*WANG, roles=(f"approver:{demo.HEALTH}",))
    before = _snapshot(world)

    r = world.client.post(f"/api/applications/{serial}/review", headers=health, json={"decision": "approve"})
    # not routed to their department: the same 404 as a serial that does not exist (no existence leak)
    assert r.status_code == 404
    assert r.json()["error"] == "application_not_found" and r.json()["field"] == "serial"
    nobody = world.client.post(
        f"/api/applications/{serial}/review", headers=world.token(*WANG), json={"decision": "approve"}
    )
    assert nobody.status_code == 403 and nobody.json()["error"] == "not_staff"
    queue = world.client.get(f"/api/departments/{demo.MARKET_REGULATION}/queue", headers=health)
    assert queue.status_code == 403 and queue.json()["error"] == "wrong_department"
    assert _snapshot(world) == before
    assert (
        world.client.get(f"/api/applications/{serial}", headers=world.token(*WANG)).json()["error"]
        == "application_not_found"
    )


def test_rating_twice(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2025, 6, 1))
    applicant = world.token(*ZHANG, act_for=ORG[0])
    serial = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-04-01"}},
        },
    ).json()["serial"]
    early = world.client.post(f"/api/applications/{serial}/rating", headers=applicant, json={"score": 5})
    assert early.status_code == 409 and early.json()["error"] == "invalid_application_state"
    reject_by = world.token(*WANG, roles=(f"approver:{demo.APPROVAL_BUREAU}",))
    r = world.client.post(
        f"/api/applications/{serial}/review",
        headers=reject_by,
        json={"decision": "reject", "reasons": ["经营场所位于居民楼内，不符合选址要求"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["result"]["outcome"] == "rejected"

    first = world.client.post(
        f"/api/applications/{serial}/rating", headers=applicant, json={"score": 4, "comment": "说明清楚"}
    )
    assert first.status_code == 201 and first.json()["follow_up"] is False
    before = _snapshot(world)
    twice = world.client.post(f"/api/applications/{serial}/rating", headers=applicant, json={"score": 1})
    assert twice.status_code == 409
    assert twice.json()["error"] == "already_rated" and twice.json()["field"] == "serial"
    assert _snapshot(world) == before
