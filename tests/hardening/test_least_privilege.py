"""Least-privilege tokens on the wallet and applications APIs (issue 14, item 3).

A relying party's ``scope=openid`` token (real code flow of the third-party client demo-rp) is refused by
every person-facing route (403 insufficient_scope), the hall's token works, a ``wallet:read`` token sees
no clear number and every read it makes is in the holder's access log under the client's display name.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import iter_route_contexts

from core.runtime import runtime_of
from idp.tokens import ACCESS_TOKEN_AUDIENCE, keyring_for, sign
from wallet.dependencies import API_AUDIENCE, ScopeRule

PREFIXES = ("/api/wallet", "/api/applications", "/api/appointments", "/api/complaints")
# Reviewed public routes: no token needed, nothing of a holder in the answer.
PUBLIC = {
    "GET /api/wallet/keys",
    "GET /api/wallet/present/{token}/qr.png",
    "POST /api/wallet/verify/pdf",
    "GET /api/wallet/departments",
    "GET /api/wallet/license-types",
    "GET /api/wallet/license-types/{type_code}",
    "GET /api/applications/status",
}


def _rules(dependant: Any) -> list[ScopeRule]:
    found = [dependant.call] if isinstance(dependant.call, ScopeRule) else []
    for sub in dependant.dependencies:
        found += _rules(sub)
    return found


def scoped_routes(app: Any) -> dict[str, list[ScopeRule]]:
    """``METHOD path`` → the scope rules declared on it, for every route under the four prefixes."""
    out: dict[str, list[ScopeRule]] = {}
    for route in iter_route_contexts(app.routes):
        if not route.path.startswith(PREFIXES):
            continue
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            out[f"{method} {route.path}"] = _rules(route.dependant)
    return out


def test_every_person_facing_route_declares_a_scope_rule(app: Any) -> None:
    routes = scoped_routes(app)
    assert len(routes) > 25
    missing = sorted(k for k, rules in routes.items() if not rules and k not in PUBLIC)
    assert not missing, f"routes without a ScopeRule dependency (wallet/dependencies.py): {missing}"
    assert not [k for k in PUBLIC if routes.get(k)], "a public route declares a scope rule"
    assert set(PUBLIC) <= set(routes), "stale public entries"


def test_audience_is_the_one_idp_mints() -> None:
    assert API_AUDIENCE == ACCESS_TOKEN_AUDIENCE


def _fill(path: str, refs: dict[str, str]) -> str:
    values = {"identifier": refs["license_a"], "grant_id": refs["grant_a"], "serial": refs["app_a"],
              "complaint_id": "1", "appointment_id": "1", "token": refs["presentation_a"], "type_code": "x"}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_openid_token_of_a_relying_party_is_refused_everywhere(world: Any) -> None:
    token = world.tokens["rp_openid"]
    checked = 0
    for key, rules in scoped_routes(world.app).items():
        if not rules:
            continue
        method, path = key.split(" ", 1)
        headers = {"Authorization": f"Bearer {token}"}
        response = world.client.request(method, _fill(path, world.refs), headers=headers)
        assert response.status_code == 403, (key, response.text)
        assert response.json()["error"] == "insufficient_scope", (key, response.text)
        challenge = response.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge, key
        scope = rules[0].scope
        if scope:
            assert f'scope="{scope}"' in challenge and scope in response.json()["detail"], (key, challenge)
        checked += 1
    assert checked > 20


def test_hall_token_works_and_sees_its_own_number(world: Any) -> None:
    for path in ("/api/wallet/licenses", f"/api/wallet/licenses/{world.refs['license_a']}", "/api/wallet/grants",
                 "/api/wallet/access-log", "/api/applications", "/api/complaints"):
        assert world.api("holder_a", "GET", path).status_code == 200, path
    mine = world.api("holder_a", "GET", "/api/wallet/licenses").json()
    assert any(x["holder"]["number"] == world.refs["number_a"] for x in mine)


def test_wallet_read_without_id_number_sees_no_clear_number_and_is_logged(world: Any) -> None:
    headers = {"Authorization": f"Bearer {world.tokens['rp_wallet_read']}"}
    number = world.refs["number_a"]
    listing = world.client.get("/api/wallet/licenses", headers=headers)
    assert listing.status_code == 200 and listing.json()
    one = world.client.get(f"/api/wallet/licenses/{world.refs['license_a']}", headers=headers)
    assert one.status_code == 200
    for response in (listing, one):
        assert number not in response.text
    assert one.json()["holder"]["number"] != number and "*" in one.json()["holder"]["number"]
    pdf = world.client.get(f"/api/wallet/licenses/{world.refs['license_a']}/pdf", headers=headers)
    assert pdf.status_code == 403 and 'scope="id_number"' in pdf.headers["www-authenticate"]
    share = world.client.get(f"/api/wallet/licenses/{world.refs['license_a']}/sd-jwt", headers=headers)
    assert share.status_code == 403 and 'scope="wallet:share"' in share.headers["www-authenticate"]
    log = world.api("holder_a", "GET", "/api/wallet/access-log").json()
    rp_rows = [r for r in log if r["accessor"] == "client:demo-rp"]
    assert {r["action"] for r in rp_rows} >= {"list", "read"}
    assert all(r["accessor_label"] == "示例政务服务门户" for r in rp_rows)
    assert any(r["identifier"] == world.refs["license_a"] and r["action"] == "read" for r in rp_rows)


def test_token_for_another_audience_is_refused(world: Any, world_tools: Any) -> None:
    flow = world_tools.rp_code_flow(world.app, world.refs["number_a"], "Zhangsan-2026", "openid wallet:read")
    id_token = flow["id_token"]  # signed by the same keys, but for demo-rp itself
    response = world.client.get("/api/wallet/licenses", headers={"Authorization": f"Bearer {id_token}"})
    assert response.status_code == 401
    # the relying party's own access token re-signed with its own audience: every other claim is valid
    claims = runtime_of(world.app).token_verifier(flow["access_token"])
    ring = keyring_for(runtime_of(world.app))
    for aud in ("demo-rp", ["demo-rp"]):
        other = sign({**claims, "aud": aud, "jti": f"aud-test-{aud!s:.7}"}, keyring=ring, typ="at+jwt")
        response = world.client.get("/api/wallet/licenses", headers={"Authorization": f"Bearer {other}"})
        assert response.status_code == 401 and "audience" in response.json()["detail"], response.text
    same = sign({**claims, "aud": [ACCESS_TOKEN_AUDIENCE, "x"], "jti": "aud-test-ok"}, keyring=ring, typ="at+jwt")
    assert world.client.get("/api/wallet/licenses", headers={"Authorization": f"Bearer {same}"}).status_code == 200
