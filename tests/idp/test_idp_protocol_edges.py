"""Issue 14.6, protocol edges: device flow brute force and phishing, RP-initiated logout proof, code
replay revocation, acr_values that cannot be met. All through the app over HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlparse

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from core.runtime import runtime_of
from tests.helpers.idp_helpers import LI, RP_REDIRECT, authorize_params, csrf_of, exchange, login_code, pkce

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
VERIFIER = ("demo-verifier", "demo-verifier-secret")


def _device_grant(client) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/device_authorization", data={"client_id": "demo-kiosk", "scope": "openid profile"})
    assert response.status_code == 200, response.text
    return response.json()


def _poll(client, grant: dict):  # type: ignore[no-untyped-def]
    return client.post(
        "/token", data={"grant_type": DEVICE, "device_code": grant["device_code"], "client_id": "demo-kiosk"}
    )


def _set_kiosk_location(app, location: str) -> None:  # type: ignore[no-untyped-def]
    from idp.oauth.models import Client

    with runtime_of(app).sessionmaker() as session:
        row = session.get(Client, "demo-kiosk")
        assert row is not None
        row.location = location
        session.commit()


# -- 1. device flow ------------------------------------------------------------------------------------


def test_device_confirmation_names_client_location_scopes_and_warns(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _set_kiosk_location(seeded, "示例市政务服务中心一楼大厅 3 号机")
    grant = _device_grant(client)
    login_code(client, number=LI[0], password=LI[1])
    page = client.get(f"/device?user_code={grant['user_code']}")
    assert page.status_code == 200
    assert "政务大厅自助终端" in page.text and "示例市政务服务中心一楼大厅 3 号机" in page.text
    assert "姓名" in page.text and "your name" in page.text  # scopes in Chinese with English
    assert "您的账户标识" in page.text and "your account identifier" in page.text
    assert "请只确认您面前屏幕上显示的验证码" in page.text
    done = client.post(
        "/device", data={"csrf": csrf_of(page.text), "user_code": grant["user_code"], "decision": "allow"}
    )
    assert done.status_code == 200
    tokens = _poll(client, grant).json()
    # a shared kiosk: the client's own scopes, a short lifetime, no refresh token
    assert tokens["expires_in"] == runtime_of(seeded).settings.device_token_ttl == 300
    assert "refresh_token" not in tokens and "offline_access" not in tokens["scope"].split()
    claims = jwt.decode(tokens["access_token"], KeySet.import_key_set(client.get("/jwks.json").json())).claims
    assert claims["exp"] - claims["iat"] == 300


def test_device_without_location_names_the_client(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = _device_grant(client)
    login_code(client, number=LI[0], password=LI[1])
    page = client.get(f"/device?user_code={grant['user_code']}")
    assert "政务大厅自助终端" in page.text and "终端位置" not in page.text


def test_wrong_user_codes_make_the_address_wait(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = _device_grant(client)
    login_code(client, number=LI[0], password=LI[1])
    csrf = csrf_of(client.get(f"/device?user_code={grant['user_code']}").text)
    free = runtime_of(seeded).settings.device_free_attempts
    for _ in range(free):
        assert client.get("/device?user_code=BCDF-GHJK").status_code == 404
    # the next wrong one sets a wait; while it lasts even the right code is not looked at
    assert client.get("/device?user_code=BCDF-GHJL").status_code == 404
    waiting = client.get(f"/device?user_code={grant['user_code']}")
    assert waiting.status_code == 429 and int(waiting.headers["retry-after"]) > 0
    assert "请" in waiting.text and "秒后再试" in waiting.text
    posted = client.post(
        "/device", data={"csrf": csrf, "user_code": grant["user_code"], "decision": "allow"}
    )
    assert posted.status_code == 429
    assert _poll(client, grant).json()["error"] == "authorization_pending"


def test_right_codes_do_not_count(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = _device_grant(client)
    login_code(client, number=LI[0], password=LI[1])
    for _ in range(runtime_of(seeded).settings.device_free_attempts + 3):
        assert client.get(f"/device?user_code={grant['user_code']}").status_code == 200


def test_device_code_with_too_many_wrong_user_codes_is_dead(seeded, client) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    settings.device_free_attempts, settings.device_wrong_code_limit = 1000, 3
    grant = _device_grant(client)
    login_code(client, number=LI[0], password=LI[1])
    for _ in range(3):
        assert client.get("/device?user_code=BCDF-GHJK").status_code == 404
    dead = client.get(f"/device?user_code={grant['user_code']}")
    assert dead.status_code == 404 and "验证码不存在或已过期" in dead.text
    assert _poll(client, grant).json()["error"] == "expired_token"
    fresh = _device_grant(client)  # a code made after the guesses starts afresh
    assert client.get(f"/device?user_code={fresh['user_code']}").status_code == 200


# -- 2. RP-initiated logout ----------------------------------------------------------------------------


def _signed_in(app, client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/sessions", follow_redirects=False).status_code == 200


def test_bare_get_logout_only_asks(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    page = client.get("/logout", follow_redirects=False)
    assert page.status_code == 200 and 'action="/logout"' in page.text and 'name="csrf"' in page.text
    assert _signed_in(seeded, client)
    forged = client.post("/logout", data={"csrf": "forged"})
    assert forged.status_code == 403 and _signed_in(seeded, client)
    no_token = client.post("/logout", data={})
    assert 'action="/logout"' in no_token.text and _signed_in(seeded, client)


def test_hint_without_registered_redirect_asks(seeded, client) -> None:  # type: ignore[no-untyped-def]
    tokens = exchange(client, *login_code(client, number=LI[0], password=LI[1])).json()
    page = client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}), follow_redirects=False)
    assert page.status_code == 200 and "示例政务服务门户" in page.text and _signed_in(seeded, client)
    done = client.post(
        "/logout", data={"csrf": csrf_of(page.text), "id_token_hint": tokens["id_token"]}, follow_redirects=False
    )
    assert done.status_code == 200 and not _signed_in(seeded, client)


def test_hint_of_another_session_asks_and_ends_nothing(seeded, app, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    with TestClient(app) as other:
        tokens = exchange(other, *login_code(other, number=LI[0], password=LI[1])).json()
        params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:3000/"}
        page = client.get("/logout?" + urlencode(params), follow_redirects=False)
        assert page.status_code == 200 and 'action="/logout"' in page.text
        assert _signed_in(app, client) and _signed_in(app, other)
        # a browser with no session at all: nothing ends, it is only sent back
        with TestClient(app) as stranger:
            back = stranger.get("/logout?" + urlencode(params), follow_redirects=False)
            assert back.status_code == 302
        assert _signed_in(app, other)


def test_proven_rp_logs_out_at_once(seeded, client) -> None:  # type: ignore[no-untyped-def]
    tokens = exchange(client, *login_code(client, number=LI[0], password=LI[1])).json()
    params = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "http://127.0.0.1:3000/",
        "state": "s",
    }
    out = client.get("/logout?" + urlencode(params), follow_redirects=False)
    assert out.status_code == 302 and out.headers["location"] == "http://127.0.0.1:3000/?state=s"
    assert not _signed_in(seeded, client)


# -- 3. authorization code replay ----------------------------------------------------------------------


def test_code_replay_revokes_the_first_exchange(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    first = exchange(client, code, verifier).json()
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert client.get("/userinfo", headers=bearer).status_code == 200
    replay = exchange(client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert client.get("/userinfo", headers=bearer).status_code == 401
    assert client.post("/introspect", data={"token": first["access_token"]}, auth=VERIFIER).json() == {
        "active": False
    }
    refresh = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": "demo-rp"}
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_code_replay_revokes_what_refreshing_minted_too(seeded, client) -> None:  # type: ignore[no-untyped-def]
    """§4.1.2: "revoke (when possible) all tokens previously issued based on that authorization code" — the
    access tokens its refresh family minted since, not only the first one."""
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    first = exchange(client, code, verifier).json()
    later = []
    refresh_token = first["refresh_token"]
    for _ in range(2):
        answer = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                             "client_id": "demo-rp"})
        assert answer.status_code == 200, answer.text
        later.append(answer.json()["access_token"])
        refresh_token = answer.json()["refresh_token"]
    for token in later:
        assert client.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert exchange(client, code, verifier).json()["error"] == "invalid_grant"
    for token in [first["access_token"], *later]:
        assert client.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert client.post("/introspect", data={"token": token}, auth=VERIFIER).json() == {"active": False}


def test_refresh_reuse_revokes_the_access_tokens_of_the_family(seeded, client) -> None:  # type: ignore[no-untyped-def]
    """RFC 9700 §4.14.2: a refresh token used twice (past the grace) ends the family and what it minted."""
    from datetime import timedelta

    from sqlalchemy import update

    from core.clock import utcnow
    from idp.oauth.models import RefreshToken

    code, verifier = login_code(client, number=LI[0], password=LI[1])
    first = exchange(client, code, verifier).json()
    rotated = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                          "client_id": "demo-rp"}).json()
    with runtime_of(seeded).sessionmaker() as session:  # the grace for a second tab has passed
        session.execute(update(RefreshToken).values(used_at=utcnow() - timedelta(minutes=5))
                        .where(RefreshToken.used_at.is_not(None)))
        session.commit()
    reused = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                         "client_id": "demo-rp"})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    for token in (first["access_token"], rotated["access_token"]):
        assert client.post("/introspect", data={"token": token}, auth=VERIFIER).json() == {"active": False}


# -- 4. acr_values that cannot be met ------------------------------------------------------------------


def _low_assurance(app) -> None:  # type: ignore[no-untyped-def]
    from idp.parties import service

    with runtime_of(app).sessionmaker() as session:
        person = service.get_by_number(session=session, settings=runtime_of(app).settings, number=LI[0])
        assert person is not None
        person.assurance = "low"
        session.commit()


def test_unmet_acr_values_report_what_was_achieved(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _low_assurance(seeded)
    code, verifier = login_code(client, number=LI[0], password=LI[1], acr_values="high")
    body = exchange(client, code, verifier).json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(client.get("/jwks.json").json())).claims
    assert claims["acr"] == "low"


def test_essential_acr_that_cannot_be_met_is_an_error_to_the_rp(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _low_assurance(seeded)
    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    claims = {"id_token": {"acr": {"essential": True, "values": ["substantial", "high"]}}}
    params = authorize_params(challenge, claims=json.dumps(claims))
    response = client.get("/authorize?" + urlencode(params), follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"].startswith(RP_REDIRECT)
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["error"] == ["unmet_authentication_requirements"] and query["state"] == [params["state"]]
    assert "code" not in query
    # essential and met (low accepted): a code as usual
    ok = authorize_params(challenge, claims=json.dumps({"id_token": {"acr": {"essential": True, "value": "low"}}}))
    met = client.get("/authorize?" + urlencode(ok), follow_redirects=False)
    assert "code" in parse_qs(urlparse(met.headers["location"]).query)
