"""A complaint names a requirement as an unnecessary proof; upheld, the proof becomes a commitment, the
post-check list shows it, later applicants sign instead of proving, and the dashboard counts it."""

from __future__ import annotations

from datetime import date

from wallet.applications import seed as demo

from .conftest import ORG, WANG, ZHANG, World


def test_upheld_proof_complaint_turns_it_into_a_commitment(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    applicant = world.token(*ZHANG, act_for=ORG[0])
    admin = world.token(*WANG, roles=("admin",))

    bad = world.client.post(
        "/api/complaints",
        headers=applicant,
        json={
            "item": demo.FOOD_PERMIT,
            "kind": "unnecessary_proof",
            "requirement": "permit_form",
            "text": "x",
        },
    )
    assert bad.status_code == 422 and bad.json()["error"] == "not_a_proof"
    leaky = world.client.post(
        "/api/complaints",
        headers=applicant,
        json={"item": demo.FOOD_PERMIT, "kind": "service", "text": f"我的身份证 {ZHANG[0]} 被要求复印三次"},
    )
    assert leaky.status_code == 422 and leaky.json()["error"] == "id_number_in_text", leaky.text
    assert leaky.json()["field"] == "text" and ZHANG[0] not in leaky.text
    filed = world.client.post(
        "/api/complaints",
        headers=applicant,
        json={
            "item": demo.FOOD_PERMIT,
            "kind": "unnecessary_proof",
            "requirement": "floor_plan",
            "text": "平面图在营业执照登记时已提交过",
        },
    )
    assert filed.status_code == 201 and filed.json()["status"] == "open"
    cid = filed.json()["id"]
    no_action = world.client.post(f"/api/complaints/{cid}", headers=admin, json={"status": "upheld"})
    assert no_action.status_code == 422 and no_action.json()["error"] == "action_required"

    upheld = world.client.post(
        f"/api/complaints/{cid}",
        headers=admin,
        json={
            "status": "upheld",
            "resolution": "改为告知承诺",
            "action": "commitment",
            "commitment_text": "本单位经营场所布局符合食品安全要求。",
            "liability": "承诺不实的，撤销许可。",
            "post_check": "许可后 30 日内现场核查",
        },
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld"

    guide = world.client.get(f"/api/services/{demo.FOOD_PERMIT}").json()
    assert {p["key"]: p["replaces_proof"] for p in guide["post_check"]} == {
        "floor_plan": "经营场所平面布局图",
        "food_safety": "食品安全管理制度文本",
    }
    prep = world.client.get(f"/api/services/{demo.FOOD_PERMIT}/prepare", headers=applicant).json()
    assert {m["key"]: m["action"] for m in prep["missing"]} == {
        "floor_plan": "sign",
        "food_safety": "sign",
        "permit_form": "fill",
    }
    sub = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.FOOD_PERMIT,
            "commitments": ["floor_plan", "food_safety"],
            "form": {"permit_form": {"premises": "人民路 1 号", "scope": "热食类"}},
        },
    )
    assert sub.status_code == 201, sub.text

    mine = world.client.get("/api/complaints", headers=applicant).json()
    assert [(c["id"], c["status"], c["action"]) for c in mine] == [(cid, "upheld", "commitment")]
    dash = world.client.get("/api/dashboard/applications", headers=admin).json()
    item = next(i for i in dash["items"] if i["code"] == demo.FOOD_PERMIT)
    assert item["proofs_cancelled"] == 1 and item["commitments_used"] == 2
    assert item["materials_reused"] == 1 and item["applications"] == 1


def test_bad_rating_opens_a_follow_up(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    world.issue("food_permit", ORG[0], ORG[1], {"operator": ORG[1]}, date(2025, 6, 1))
    applicant = world.token(*ZHANG, act_for=ORG[0])
    serial = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.RESTAURANT,
            "form": {"opening_form": {"address": "人民路 1 号", "seats": 20, "opening_date": "2026-06-01"}},
        },
    ).json()["serial"]
    world.client.post(
        f"/api/applications/{serial}/review",
        json={"decision": "reject", "reasons": ["选址不符"]},
        headers=world.token(*WANG, roles=(f"approver:{demo.MARKET_REGULATION}",)),
    )
    rated = world.client.post(
        f"/api/applications/{serial}/rating", headers=applicant, json={"score": 2, "comment": "理由没讲清楚"}
    )
    assert rated.status_code == 201 and rated.json()["follow_up"] is True
    admin = world.token(*WANG, roles=("admin",))
    follow = world.client.get("/api/complaints", headers=admin).json()
    assert [(c["kind"], c["serial"], c["status"]) for c in follow] == [("rating_follow_up", serial, "open")]
