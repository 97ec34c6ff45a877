"""A supplement request listing everything once, then approval: the sealed result and a new food permit in
the organisation's wallet; the commitment that replaced a proof is on the item's post-check list."""

from __future__ import annotations

from datetime import date

from wallet.applications import seed as demo
from wallet.applications.models import Review
from wallet.licenses import service as license_service

from .conftest import ORG, WANG, ZHANG, World

PDF = b"%PDF-1.4\n% floor plan\n"


def _upload(world: World, headers: dict[str, str], data: bytes) -> dict:
    r = world.client.post(
        "/api/applications/materials",
        headers=headers,
        data={"item": demo.FOOD_PERMIT, "requirement": "floor_plan"},
        files={"file": ("plan.pdf", data, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_supplement_then_approval_delivers_sealed_result_and_license(world: World) -> None:
    world.issue("business_license", ORG[0], ORG[1], {"name": ORG[1]}, date(2024, 6, 1))
    applicant = world.token(*ZHANG, act_for=ORG[0])
    reviewer = world.token(
        *WANG, roles=(f"clerk:{demo.MARKET_REGULATION}", f"approver:{demo.MARKET_REGULATION}")
    )
    first_plan = _upload(world, applicant, PDF)
    assert first_plan["trust"] == "C"

    prep = world.client.get(f"/api/services/{demo.FOOD_PERMIT}/prepare", headers=applicant).json()
    assert [m["key"] for m in prep["missing"]] == ["food_safety", "permit_form"]
    assert prep["holder_number_required"] is False  # the credit code comes with act_for
    sub = world.client.post(
        "/api/applications",
        headers=applicant,
        json={
            "item": demo.FOOD_PERMIT,
            "commitments": ["food_safety"],
            "form": {"permit_form": {"premises": "人民路 1 号", "scope": "热食类食品制售"}},
        },
    )
    assert sub.status_code == 201, sub.text
    serial = sub.json()["serial"]
    trusts = {m["requirement"]: m["trust"] for m in sub.json()["materials"]}
    assert trusts == {"business_license": "A", "floor_plan": "C", "food_safety": "D", "permit_form": "C"}

    ask = world.client.post(
        f"/api/applications/{serial}/review",
        headers=reviewer,
        json={
            "decision": "supplement",
            "items": [{"requirement": "floor_plan", "note": "平面图未标注加工区和就餐区"}],
        },
    )
    assert ask.status_code == 200, ask.text
    assert ask.json()["status"] == "supplement"

    again = world.client.post(
        f"/api/applications/{serial}/review",
        headers=reviewer,
        json={"decision": "supplement", "items": [{"requirement": "floor_plan"}]},
    )
    assert again.status_code == 409
    assert again.json()["error"] in ("supplement_already_requested", "invalid_application_state")

    mine = world.client.get(f"/api/applications/{serial}", headers=applicant).json()
    assert mine["supplement_requested"] == [
        {"requirement": "floor_plan", "note": "平面图未标注加工区和就餐区"}
    ]
    # The plan already submitted does not count: a new one is needed, and only that is asked for.
    missing = world.client.post(f"/api/applications/{serial}/supplement", headers=applicant, json={})
    assert missing.status_code == 422 and missing.json()["error"] == "materials_missing"
    assert "经营场所平面布局图" in missing.json()["detail"] and "承诺" not in missing.json()["detail"]
    _upload(world, applicant, PDF + b"% with zones\n")
    done = world.client.post(f"/api/applications/{serial}/supplement", headers=applicant, json={})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "in_review"

    approved = world.client.post(
        f"/api/applications/{serial}/review", headers=reviewer, json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    app = approved.json()
    assert app["status"] == "approved"
    assert app["result"]["outcome"] == "approved"
    identifier = app["result"]["license_identifier"]
    assert identifier
    pdf = world.client.get(f"/api/applications/{serial}/result.pdf", headers=applicant)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    import signing

    report = signing.verify_pdf_sync(session=world.session, settings=world.settings, pdf=pdf.content)
    assert report.valid, report

    wallet = license_service.list_for_holders(session=world.session, holder_indexes={world.hid(ORG[0], "organization")})
    permit = next(lic for lic in wallet if lic.identifier == identifier)
    assert permit.license_type.type_code == world.types["food_permit"]
    assert permit.data["premises"] == "人民路 1 号"
    assert world.count(Review) == 2  # the refused second supplement request left nothing behind


def test_post_check_list_shows_the_commitment(world: World) -> None:
    guide = world.client.get(f"/api/services/{demo.FOOD_PERMIT}").json()
    assert guide["post_check"] == [
        {
            "key": "food_safety",
            "commitment": "食品安全管理制度承诺",
            "replaces_proof": "食品安全管理制度文本",
            "post_check": "许可后 30 日内现场核查管理制度落实情况",
            "liability": "承诺不实的，撤销许可，五年内不得再次申请，并记入信用记录。",
        }
    ]
    page = world.client.get(f"/services/{demo.FOOD_PERMIT}")
    assert "告知承诺事后核查" in page.text and "食品安全管理制度文本" in page.text
