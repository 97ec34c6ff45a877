"""Every wallet endpoint × every kind of caller: only the right ones succeed, the others learn nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

ACTORS = [
    "holder_a",  # 张三, legal representative of the company that holds the license
    "holder_b",  # 李四, unrelated person
    "agent_with_delegation",  # 王五 acting for the company with the "wallet" scope
    "agent_read_only",  # 王五 acting for the company with only "wallet:read"
    "agent_without_delegation",  # 王五 with no act_for
    "dept_with_grant",  # market regulation system, granted by the holder
    "dept_without_grant",  # health commission system
    "issuing_dept",  # administrative approval bureau system (issued the license)
    "anonymous",
]

# endpoint → expected status per actor (same order as ACTORS)
MATRIX = {
    "wallet_get": [200, 404, 200, 200, 404, 403, 403, 403, 401],
    "wallet_pdf": [200, 404, 200, 200, 404, 403, 403, 403, 401],
    "wallet_events": [200, 404, 200, 200, 404, 403, 403, 403, 401],
    "wallet_present": [201, 404, 201, 403, 404, 403, 403, 403, 401],
    "wallet_sd_jwt": [200, 404, 200, 403, 404, 403, 403, 403, 401],
    "wallet_grant": [201, 404, 201, 403, 404, 403, 403, 403, 401],
    "dept_read": [404, 404, 404, 404, 404, 200, 404, 200, 401],
    "dept_verify": [404, 404, 404, 404, 404, 200, 404, 200, 401],
    "issuer_events": [404, 404, 404, 404, 404, 404, 404, 200, 401],
    "issuer_suspend": [404, 404, 404, 404, 404, 404, 404, 200, 401],
    "issuer_renew": [404, 404, 404, 404, 404, 404, 404, 201, 401],
}


@pytest.fixture
def world(client, issue, kit):  # type: ignore[no-untyped-def]
    lic = issue(kit.demo.BUSINESS_LICENSE, kit.ORG, kit.BUSINESS_DATA)
    legal_rep = kit.person(kit.ZHANG, act_for=kit.acting_for(kit.ORG, role="legal_representative", scopes=()))
    headers = {
        "holder_a": kit.bearer(legal_rep),
        "holder_b": kit.bearer(kit.person(kit.LI)),
        "agent_with_delegation": kit.bearer(kit.person(kit.WANG, act_for=kit.acting_for(kit.ORG))),
        "agent_read_only": kit.bearer(
            kit.person(kit.WANG, act_for=kit.acting_for(kit.ORG, scopes=("wallet:read",)))
        ),
        "agent_without_delegation": kit.bearer(kit.person(kit.WANG)),
        "dept_with_grant": kit.bearer(kit.department(kit.demo.MARKET, client_id="market-system")),
        "dept_without_grant": kit.bearer(kit.department(kit.demo.HEALTH, client_id="health-system")),
        "issuing_dept": kit.bearer(kit.department(kit.demo.APPROVAL, client_id="approval-system")),
        "anonymous": {},
    }
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    grant = client.post(
        "/api/wallet/grants",
        json={
            "identifier": lic.identifier,
            "grantee_kind": "department",
            "grantee": kit.demo.MARKET,
            "purpose": "enterprise_registration",
            "valid_until": until,
        },
        headers=headers["holder_a"],
    )
    assert grant.status_code == 201, grant.text
    return lic, headers, until


def _call(client, kit, endpoint, ident, headers, until):  # type: ignore[no-untyped-def]
    base = f"/api/wallet/licenses/{ident}"
    if endpoint == "wallet_get":
        return client.get(base, headers=headers)
    if endpoint == "wallet_pdf":
        return client.get(base + "/pdf", headers=headers)
    if endpoint == "wallet_events":
        return client.get(base + "/events", headers=headers)
    if endpoint == "wallet_present":
        return client.post(base + "/present", json={"fields": ["legal_representative"]}, headers=headers)
    if endpoint == "wallet_sd_jwt":
        return client.get(base + "/sd-jwt", headers=headers)
    if endpoint == "wallet_grant":
        return client.post(
            "/api/wallet/grants",
            headers=headers,
            json={
                "identifier": ident,
                "grantee_kind": "client",
                "grantee": "bank-rp",
                "purpose": "housing_fund",
                "valid_until": until,
            },
        )
    if endpoint == "dept_read":
        return client.get(f"/api/licenses/{ident}", params={"purpose": "审查"}, headers=headers)
    if endpoint == "dept_verify":
        return client.post(
            "/api/verify/license",
            headers=headers,
            json={"identifier": ident, "holder_number": kit.ORG.number, "purpose": "审查"},
        )
    if endpoint == "issuer_events":
        return client.get(f"/api/licenses/{ident}/events", headers=headers)
    if endpoint == "issuer_suspend":
        return client.post(f"/api/licenses/{ident}/suspend", json={"reason": "matrix"}, headers=headers)
    if endpoint == "issuer_renew":
        return client.post(f"/api/licenses/{ident}/renew", json={}, headers=headers)
    raise AssertionError(endpoint)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_matrix(client, kit, world, endpoint) -> None:
    lic, headers, until = world
    missing = lic.identifier[:-1] + ("0" if lic.identifier[-1] != "0" else "1")
    for actor, expected in zip(ACTORS, MATRIX[endpoint], strict=True):
        resp = _call(client, kit, endpoint, lic.identifier, headers[actor], until)
        assert resp.status_code == expected, f"{endpoint} as {actor}: {resp.status_code} {resp.text}"
        if expected == 404:
            # the same answer as for a license that does not exist
            ghost = _call(client, kit, endpoint, missing, headers[actor], until)
            assert (ghost.status_code, ghost.json()) == (resp.status_code, resp.json()), (endpoint, actor)
        if expected >= 400:
            assert lic.identifier not in resp.text and kit.ORG.name not in resp.text


def test_list_shows_only_what_the_caller_holds(client, kit, world, issue) -> None:
    lic, headers, _ = world
    birth = issue(kit.demo.BIRTH_CERTIFICATE, kit.LI, kit.BIRTH_DATA)

    def listed(actor: str) -> set[str]:
        resp = client.get("/api/wallet/licenses", headers=headers[actor])
        assert resp.status_code == 200, resp.text
        return {x["identifier"] for x in resp.json()}

    assert listed("holder_a") == {lic.identifier}
    assert listed("holder_b") == {birth.identifier}
    assert listed("agent_with_delegation") == {lic.identifier}
    assert listed("agent_without_delegation") == set()
    assert client.get("/api/wallet/licenses").status_code == 401
    assert client.get("/api/wallet/licenses", headers=headers["issuing_dept"]).status_code == 403
    own = client.get(f"/api/wallet/licenses/{birth.identifier}", headers=headers["holder_b"]).json()
    assert own["holder"]["number"] == kit.LI.number  # the holder sees their own number in clear


def test_agent_reads_are_in_the_companys_access_log(client, kit, world) -> None:
    lic, headers, _ = world
    client.get(f"/api/wallet/licenses/{lic.identifier}", headers=headers["agent_with_delegation"])
    client.get(
        f"/api/licenses/{lic.identifier}", params={"purpose": "许可审查"}, headers=headers["dept_with_grant"]
    )
    log = client.get("/api/wallet/access-log", headers=headers["holder_a"]).json()
    channels = [(e["channel"], e["purpose"]) for e in log]
    assert ("api", "许可审查") in channels and ("wallet", "delegated use") in channels
    assert client.get("/api/wallet/access-log", headers=headers["holder_b"]).json() == []
