"""Issue → show → verify → suspend → reinstate → revoke, each verified; expiry and renewal in frozen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.worklog.models import WorkLogEntry
from identifiers import license_id
from wallet.errors import InvalidPresentation, InvalidTransition
from wallet.licenses import lifecycle, presentation, verification
from wallet.licenses import service as license_service


def _issue_via_api(client, kit):  # type: ignore[no-untyped-def]
    body = {
        "type_code": kit.demo.BIRTH_CERTIFICATE,
        "holder_number": kit.LI.number,
        "holder_name": kit.LI.name,
        "data": kit.BIRTH_DATA,
    }
    resp = client.post("/api/licenses", json=body, headers=kit.bearer(kit.department(kit.demo.HEALTH)))
    assert resp.status_code == 201, resp.text
    return resp.json()["identifier"]


def test_full_story_through_the_api(client, session, kit, catalog) -> None:
    ident = _issue_via_api(client, kit)
    holder = kit.bearer(kit.person(kit.LI))
    issuer = kit.bearer(kit.department(kit.demo.HEALTH))

    shown = client.post(f"/api/wallet/licenses/{ident}/present", json={"fields": ["born_on"]}, headers=holder)
    assert shown.status_code == 201, shown.text
    token = shown.json()["token"]
    assert shown.json()["verify_url"].endswith(f"/verify?t={token}")

    def verify() -> dict:  # type: ignore[type-arg]
        resp = client.post("/api/verify/presentation", json={"token": token})
        assert resp.status_code == 200, resp.text
        return resp.json()

    first = verify()
    assert (first["valid"], first["status"]) == (True, "valid")
    assert first["license_type"]["name"] == "出生医学证明"
    assert first["issuer"]["name"] == "示例市卫生健康委员会"
    # beside the disclosed birth date, only the last two characters of the number (docs/SECURITY.md)
    assert first["holder"] == {"kind": "person", "name": "李*", "number": "*" * 16 + "78"}
    assert first["fields"] == [{"name": "born_on", "label": "出生日期", "value": "1991-01-01"}]
    assert 0 <= first["age_seconds"] < 30 and first["checked_at"]
    assert "sex" not in str(first["fields"]) and kit.LI.number not in str(first)

    leaky = client.post(f"/api/licenses/{ident}/suspend", json={"reason": f"持证人 {kit.LI.number} 申请"},
                        headers=issuer)
    assert leaky.status_code == 422 and leaky.json()["field"] == "reason", leaky.text
    assert kit.LI.number not in leaky.text and verify()["status"] == "valid"  # refused, nothing changed
    nul = client.post(f"/api/licenses/{ident}/cancel", json={"reason": "a\x00b"}, headers=issuer)
    assert nul.status_code == 422 and nul.json()["field"] == "reason", nul.text  # both engines, not a 503
    assert verify()["status"] == "valid"

    steps = [("suspend", "suspended"), ("reinstate", "valid"), ("revoke", "revoked")]
    for action, expected in steps:
        resp = client.post(
            f"/api/licenses/{ident}/{action}", json={"reason": f"test {action}"}, headers=issuer
        )
        assert resp.status_code == 200, resp.text
        after = verify()
        assert (after["status"], after["valid"]) == (expected, expected == "valid")
        status = client.get(f"/api/licenses/{ident}/status").json()
        assert status["status"] == expected and "holder" not in status

    again = client.post(f"/api/licenses/{ident}/reinstate", json={}, headers=issuer)
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"

    history = client.get(f"/api/licenses/{ident}/events", headers=issuer).json()
    assert [e["action"] for e in history] == ["issued", "suspended", "reinstated", "revoked"]
    log = session.execute(
        select(WorkLogEntry.action).where(WorkLogEntry.object == f"license:{ident}")
    ).scalars()
    assert list(log) == [
        "wallet.license.issued",
        "wallet.license.suspended",
        "wallet.license.reinstated",
        "wallet.license.revoked",
    ]
    page = client.get(f"/verify?t={token}")
    assert page.status_code == 200 and "revoked" in page.text and "李*" in page.text


def test_a_disclosed_birth_date_narrows_the_masked_number(issue, catalog, settings, kit) -> None:
    """Masked number (first four, last four) + birth date would leave ~9 candidates: with a date disclosed, the
    presentation keeps only the number's last two characters (docs/SECURITY.md)."""
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    numbers = {}
    for fields in ([], ["institution"], ["born_on"], ["institution", "born_on"]):
        p = presentation.present(session=catalog, settings=settings, lic=lic, fields=fields)
        shown = verification.verify_presentation(session=catalog, token=p.token)
        numbers[tuple(fields)] = shown.holder.number
    assert numbers[()] == numbers[("institution",)] == "1101**********0078"
    assert numbers[("born_on",)] == numbers[("institution", "born_on")] == "*" * 16 + "78"


def test_presentation_expires_and_says_how_old(issue, catalog, settings, kit) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    p = presentation.present(session=catalog, settings=settings, lic=lic, fields=[], ttl=300, now=t0)
    ok = verification.verify_presentation(session=catalog, token=p.token, now=t0 + timedelta(seconds=120))
    assert ok.age_seconds == 120
    with pytest.raises(InvalidPresentation) as info:
        verification.verify_presentation(session=catalog, token=p.token, now=t0 + timedelta(minutes=10))
    assert info.value.code == "presentation_expired" and "600 seconds" in str(info.value)


def test_tampered_presentation_is_refused(client, issue, catalog, settings, kit) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    token = presentation.present(session=catalog, settings=settings, lic=lic, fields=["sex"]).token
    head, body, sig = token.split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["fields"]["sex"] = "女"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    resp = client.post("/api/verify/presentation", json={"token": f"{head}.{forged_body}.{sig}"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_presentation"
    assert client.post("/api/verify/presentation", json={"token": "garbage"}).status_code == 400


def test_expiry_is_derived_from_time(issue, catalog, kit) -> None:
    lic = issue(kit.demo.FOOD_PERMIT, kit.ORG, kit.FOOD_DATA, valid_from=date(2020, 1, 1))
    assert lic.valid_until == date(2024, 12, 31)
    last_day = datetime(2024, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 in China
    assert license_service.effective_status(lic, now=last_day) == "valid"
    assert license_service.effective_status(lic, now=last_day + timedelta(minutes=2)) == "expired"
    status = verification.status(session=catalog, identifier=lic.identifier, now=last_day + timedelta(days=1))
    assert status.status == "expired"


def test_renewal_creates_linked_version_and_supersedes_the_old(
    issue, catalog, settings, local_store, kit
) -> None:
    old = issue(kit.demo.FOOD_PERMIT, kit.ORG, kit.FOOD_DATA, valid_from=date(2020, 1, 1))
    new = lifecycle.new_version(
        session=catalog,
        settings=settings,
        blob_store=local_store,
        lic=old,
        kind="renewed",
        actor="system",
        valid_from=date(2025, 1, 1),
        reason="到期换证",
    )
    assert new.previous_id == old.id and new.version == 2 and new.valid_until == date(2029, 12, 31)
    assert license_id.parse(new.identifier).serial == license_id.parse(old.identifier).serial
    assert license_id.parse(new.identifier).version == "2"
    assert old.status == "superseded"
    status = verification.status(session=catalog, identifier=old.identifier)
    assert (status.status, status.superseded_by) == ("superseded", new.identifier)
    with pytest.raises(InvalidTransition):
        lifecycle.change_status(session=catalog, lic=old, action="suspend", actor="system")
    changed = lifecycle.new_version(
        session=catalog,
        settings=settings,
        blob_store=local_store,
        lic=new,
        kind="changed",
        actor="system",
        data={"address": "示例市示例区新址2号"},
    )
    assert changed.version == 3 and changed.data["address"] == "示例市示例区新址2号"
    assert changed.data["main_business"] == kit.FOOD_DATA["main_business"]


def test_change_through_the_api_by_issuer_only(client, issue, kit) -> None:
    lic = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    other = kit.bearer(kit.department(kit.demo.MARKET))
    assert (
        client.post(
            f"/api/licenses/{lic.identifier}/change", json={"data": {"address": "x"}}, headers=other
        ).status_code
        == 404
    )
    resp = client.post(
        f"/api/licenses/{lic.identifier}/change",
        json={"data": {"address": "新住所"}},
        headers=kit.bearer(kit.department(kit.demo.APPROVAL)),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["previous"] == lic.identifier and resp.json()["data"]["address"] == "新住所"
    bad = client.post(
        f"/api/licenses/{resp.json()['identifier']}/change",
        json={"data": {"established_on": "x"}},
        headers=kit.bearer(kit.department(kit.demo.APPROVAL)),
    )
    assert bad.status_code == 422 and bad.json()["field"] == "data.established_on"
