"""Use grants: by license or type, by department or client; expiry and withdrawal stop reads; all logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wallet.dependencies import Caller
from wallet.errors import LicenseNotFound
from wallet.licenses import grants, verification


def _dept_caller(kit, code: str, client_id: str = "market-system") -> Caller:  # type: ignore[no-untyped-def]
    return Caller.from_claims(kit.department(code, client_id=client_id))


def test_grant_expiry_stops_reads(issue, catalog, settings, kit) -> None:
    lic = issue(kit.demo.FOOD_PERMIT, kit.ORG, kit.FOOD_DATA)
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    grants.create(
        session=catalog,
        actor="person:zhang",
        holder_index=lic.holder_index,
        grantee_kind="department",
        grantee=kit.demo.APPROVAL,
        purpose="enterprise_registration",
        lic=lic,
        valid_from=t0,
        valid_until=t0 + timedelta(days=1),
        fields=["address"],
        now=t0,
    )
    reader = _dept_caller(kit, kit.demo.APPROVAL, "approval-system")
    seen = verification.read_as_department(
        session=catalog,
        settings=settings,
        caller=reader,
        identifier=lic.identifier,
        purpose="变更登记",
        channel="api",
        now=t0 + timedelta(hours=23),
    )
    assert seen.data == {"address": kit.FOOD_DATA["address"]}  # only the granted field
    assert seen.holder.number == "9111**********341L"
    with pytest.raises(LicenseNotFound):
        verification.read_as_department(
            session=catalog,
            settings=settings,
            caller=reader,
            identifier=lic.identifier,
            purpose="变更登记",
            channel="api",
            now=t0 + timedelta(days=1, seconds=1),
        )
    log = grants.list_access(session=catalog, holder_indexes=frozenset({lic.holder_index}))
    assert [(e.accessor, e.purpose, e.channel) for e in log] == [
        ("client:approval-system", "变更登记", "api")
    ]


def test_type_grant_withdrawal_and_wrong_holder_number(client, issue, kit) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    holder = kit.bearer(kit.person(kit.LI))
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    resp = client.post(
        "/api/wallet/grants",
        headers=holder,
        json={
            "type_code": kit.demo.BIRTH_CERTIFICATE,
            "grantee_kind": "client",
            "grantee": "school-rp",
            "purpose": "school_enrolment",
            "valid_until": until,
        },
    )
    assert resp.status_code == 201, resp.text
    school = kit.bearer(kit.department(kit.demo.MARKET, client_id="school-rp", scope="license:verify"))
    body = {"identifier": lic.identifier, "holder_number": kit.LI.number, "purpose": "入学登记"}
    # the purpose is stored and shown to the holder: one that carries an ID number is refused, nothing logged
    named = client.post(
        "/api/verify/license", json={**body, "purpose": f"核验 {kit.ZHANG.number} 的入学资格"}, headers=school
    )
    assert named.status_code == 422, named.text
    assert (named.json()["error"], named.json()["field"]) == ("id_number_in_text", "purpose")
    assert kit.ZHANG.number not in named.text
    ok = client.post("/api/verify/license", json=body, headers=school)
    assert ok.status_code == 200 and ok.json()["status"] == "valid"
    wrong = client.post(
        "/api/verify/license", json={**body, "holder_number": kit.ZHANG.number}, headers=school
    )
    assert wrong.status_code == 404
    other = kit.bearer(kit.person(kit.ZHANG))
    assert client.post(f"/api/wallet/grants/{resp.json()['id']}/withdraw", headers=other).status_code == 404
    gone = client.post(f"/api/wallet/grants/{resp.json()['id']}/withdraw", headers=holder)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert client.post("/api/verify/license", json=body, headers=school).status_code == 404
    listed = client.get("/api/wallet/grants", headers=holder).json()
    assert [g["active"] for g in listed] == [False]
    assert [g["purpose"] for g in listed] == ["办理入学登记"]  # a catalog code, stored as its Chinese name
    log = client.get("/api/wallet/access-log", headers=holder).json()
    assert [(e["accessor"], e["channel"], e["purpose"]) for e in log] == [
        ("client:school-rp", "verify", "入学登记")
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grantee_kind": "department", "grantee": "11110000000137015K", "purpose": ""}, "purpose"),
        ({"grantee_kind": "department", "grantee": "91110000600037341L", "purpose": "x"}, "grantee"),
        ({"grantee_kind": "client", "grantee": "rp", "purpose": "social_security", "fields": ["nope"]}, "fields"),
        ({"grantee_kind": "client", "grantee": "rp", "purpose": "social_security", "valid_days": 400}, "valid_until"),
        ({"grantee_kind": "client", "grantee": "rp", "purpose": "核验 110102199101010078 的身份"}, "purpose"),
        ({"grantee_kind": "client", "grantee": "rp", "purpose": "办理社会保障业务"}, "purpose"),  # not a code
    ],
)
def test_bad_grants_are_refused(client, issue, kit, body, field) -> None:
    lic = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)
    days = body.pop("valid_days", 7)
    payload = {
        "identifier": lic.identifier,
        **body,
        "valid_until": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
    }
    resp = client.post("/api/wallet/grants", json=payload, headers=kit.bearer(kit.person(kit.LI)))
    assert resp.status_code in (400, 404, 422) and resp.json()["field"] == field, resp.text
    assert "110102199101010078" not in resp.text  # a refused purpose is not echoed with the number in it
    assert client.get("/api/wallet/grants", headers=kit.bearer(kit.person(kit.LI))).json() == []
