"""Refresh rotation, client credentials, device flow, introspection and revocation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.runtime import runtime_of
from core.worklog import WorkLogEntry
from idp.oauth.models import RefreshToken
from tests.helpers.idp_helpers import LI, csrf_of, exchange, login_code

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def _tokens(client):  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    return exchange(client, code, verifier).json()


def _refresh(client, token: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "demo-rp"}
    )


def test_refresh_rotates_and_reuse_revokes_family(seeded, client) -> None:  # type: ignore[no-untyped-def]
    first = _tokens(client)["refresh_token"]
    second = _refresh(client, first).json()
    assert second["refresh_token"] != first and second["access_token"]
    # Within the grace window a concurrent refresh with the old token gets the same child.
    again = _refresh(client, first).json()
    assert again["refresh_token"] == second["refresh_token"]
    # After the grace window, reuse of the old token revokes the whole family.
    with runtime_of(seeded).sessionmaker() as session:
        row = session.scalars(select(RefreshToken).where(RefreshToken.parent_id.is_(None))).one()
        row.used_at = row.used_at - timedelta(seconds=60)
        session.commit()
    reuse = _refresh(client, first)
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    child = _refresh(client, second["refresh_token"])
    assert child.status_code == 400 and child.json()["error"] == "invalid_grant"
    with runtime_of(seeded).sessionmaker() as session:
        assert all(r.revoked_at is not None for r in session.scalars(select(RefreshToken)))
        actions = [e.action for e in session.scalars(select(WorkLogEntry))]
    # every token handed out and the reuse (committed although the answer is an error) are in the work log
    assert actions.count("token.issue") == 3  # code exchange, rotation, the grace-window repeat
    assert actions.count("token.refresh_reuse") == 1


def test_refresh_of_other_client_refused(seeded, client) -> None:  # type: ignore[no-untyped-def]
    first = _tokens(client)["refresh_token"]
    response = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first, "client_id": "demo-kiosk"}
    )
    assert response.status_code in (400, 401)


def test_client_credentials_token_carries_department(seeded, client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "license:issue"},
        auth=("demo-verifier", "demo-verifier-secret"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body and response.headers["cache-control"] == "no-store"
    from idp.tokens import make_token_verifier

    claims = make_token_verifier(runtime_of(seeded), runtime_of(seeded).settings)(body["access_token"])
    assert claims["party_type"] == "client" and claims["department"] == "11110000000137015K"
    assert claims["scope"] == "license:issue" and claims["sub"] == "demo-verifier"


def test_device_flow(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = client.post(
        "/device_authorization", data={"client_id": "demo-kiosk", "scope": "openid profile"}
    ).json()
    assert grant["verification_uri"] == "http://testserver/device"
    assert grant["verification_uri_complete"].endswith(grant["user_code"])
    _tokens(client)  # the phone is logged in
    page = client.get(grant["verification_uri_complete"].replace("http://testserver", ""))
    assert "政务大厅自助终端" in page.text
    done = client.post(
        "/device", data={"csrf": csrf_of(page.text), "user_code": grant["user_code"], "decision": "allow"}
    )
    assert done.status_code == 200
    poll = client.post(
        "/token", data={"grant_type": DEVICE, "device_code": grant["device_code"], "client_id": "demo-kiosk"}
    )
    assert poll.status_code == 200, poll.text
    assert poll.json()["access_token"]
    again = client.post(
        "/token", data={"grant_type": DEVICE, "device_code": grant["device_code"], "client_id": "demo-kiosk"}
    )
    assert again.status_code == 400


def test_device_entry_page_and_unknown_code(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _tokens(client)
    assert 'name="user_code"' in client.get("/device").text
    unknown = client.get("/device?user_code=ZZZZ-ZZZZ")
    assert unknown.status_code == 404 and "验证码不存在或已过期" in unknown.text


def test_device_denied(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = client.post("/device_authorization", data={"client_id": "demo-kiosk"}).json()
    _tokens(client)
    page = client.get(f"/device?user_code={grant['user_code'].lower().replace('-', '')}")
    client.post(
        "/device", data={"csrf": csrf_of(page.text), "user_code": grant["user_code"], "decision": "deny"}
    )
    poll = client.post(
        "/token", data={"grant_type": DEVICE, "device_code": grant["device_code"], "client_id": "demo-kiosk"}
    )
    assert poll.json()["error"] == "access_denied"


def test_introspection_before_and_after_revocation(seeded, client) -> None:  # type: ignore[no-untyped-def]
    tokens = _tokens(client)
    auth = ("demo-verifier", "demo-verifier-secret")
    live = client.post("/introspect", data={"token": tokens["access_token"]}, auth=auth).json()
    assert live["active"] is True and live["client_id"] == "demo-rp" and "hid" not in live
    refresh_live = client.post("/introspect", data={"token": tokens["refresh_token"]}, auth=auth).json()
    assert refresh_live["active"] is True
    assert (
        client.post("/revoke", data={"token": tokens["access_token"], "client_id": "demo-rp"}).status_code
        == 200
    )
    assert client.post("/introspect", data={"token": tokens["access_token"]}, auth=auth).json() == {
        "active": False
    }
    userinfo = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401 and userinfo.json()["error"] == "invalid_token"
    client.post("/revoke", data={"token": tokens["refresh_token"], "client_id": "demo-rp"})
    assert client.post("/introspect", data={"token": tokens["refresh_token"]}, auth=auth).json() == {
        "active": False
    }
    assert _refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_public_client_cannot_introspect(seeded, client) -> None:  # type: ignore[no-untyped-def]
    tokens = _tokens(client)
    response = client.post("/introspect", data={"token": tokens["access_token"], "client_id": "demo-rp"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_revoking_a_token_of_another_client_does_nothing(seeded, client) -> None:  # type: ignore[no-untyped-def]
    tokens = _tokens(client)
    client.post(
        "/revoke", data={"token": tokens["access_token"]}, auth=("demo-verifier", "demo-verifier-secret")
    )
    auth = ("demo-verifier", "demo-verifier-secret")
    assert (
        client.post("/introspect", data={"token": tokens["access_token"]}, auth=auth).json()["active"] is True
    )


def test_discovery_and_jwks(seeded, client) -> None:  # type: ignore[no-untyped-def]
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://testserver" and meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["end_session_endpoint"].endswith("/logout") and meta["backchannel_logout_supported"] is True
    keys = client.get("/jwks.json").json()["keys"]
    assert {k["alg"] for k in keys} == {"ES256", "RS256"}
    assert all("d" not in k and k["kid"].startswith(k["alg"].lower() + "-") for k in keys)
