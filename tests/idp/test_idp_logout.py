"""RP-initiated logout, back-channel logout to a loopback receiver, my sessions, restart survival."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from core.runtime import runtime_of
from tests.helpers.idp_helpers import LI, csrf_of, exchange, follow_to_callback, login_code, pkce


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    """A tiny relying party on loopback that records back-channel logout tokens."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append(parse_qs(body)["logout_token"][0])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/backchannel", received
    server.shutdown()


def _register_portal(app, backchannel: str) -> None:  # type: ignore[no-untyped-def]
    from idp.oauth import clients

    with runtime_of(app).sessionmaker() as session:
        clients.create(
            session=session,
            settings=runtime_of(app).settings,
            client_id="portal",
            name="Portal",
            kind="web",
            secret="portal-secret-0123456789",
            redirect_uris=["http://127.0.0.1:3000/cb"],
            post_logout_redirect_uris=["http://127.0.0.1:3000/bye"],
            trusted=True,
            scopes=["openid", "profile", "offline_access"],
            backchannel_logout_uri=backchannel,
            id_token_alg="RS256",
        )
        session.commit()


def _portal_tokens(client) -> dict:  # type: ignore[no-untyped-def]
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": "portal",
        "redirect_uri": "http://127.0.0.1:3000/cb",
        "scope": "openid profile offline_access",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    query = follow_to_callback(
        client,
        client.get("/authorize?" + urlencode(params), follow_redirects=False),
        number=LI[0],
        password=LI[1],
    )
    response = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": "http://127.0.0.1:3000/cb",
            "code_verifier": verifier,
        },
        auth=("portal", "portal-secret-0123456789"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_rp_initiated_logout_with_backchannel(seeded, client, receiver) -> None:  # type: ignore[no-untyped-def]
    uri, received = receiver
    _register_portal(seeded, uri)
    tokens = _portal_tokens(client)
    keys = KeySet.import_key_set(client.get("/jwks.json").json())
    id_claims = jwt.decode(tokens["id_token"], keys).claims
    assert jwt.decode(tokens["id_token"], keys).header["alg"] == "RS256"
    response = client.get(
        "/logout?"
        + urlencode(
            {
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": "http://127.0.0.1:3000/bye",
                "state": "x",
            }
        ),
        follow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["location"] == "http://127.0.0.1:3000/bye?state=x"
    for _ in range(50):
        if received:
            break
        time.sleep(0.1)
    assert received, "no back-channel logout arrived"
    token = jwt.decode(received[0], KeySet.import_key_set(client.get("/jwks.json").json()))
    claims = token.claims
    assert token.header["typ"] == "logout+jwt"
    assert (
        claims["iss"] == "http://testserver"
        and claims["aud"] == "portal"
        and claims["sid"] == id_claims["sid"]
    )
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert claims["jti"] and claims["iat"] and "nonce" not in claims
    # tokens of the ended session no longer work, and the browser must log in again
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    refresh = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("portal", "portal-secret-0123456789"),
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_logout_refuses_unregistered_post_logout_uri(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    tokens = exchange(client, code, verifier).json()
    response = client.get(
        "/logout?"
        + urlencode(
            {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
        ),
        follow_redirects=False,
    )
    assert response.status_code == 400 and "location" not in response.headers


def test_logout_without_hint_asks_for_confirmation(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    page = client.get("/logout")
    assert 'action="/logout"' in page.text
    done = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert "您已退出登录" in done.text
    assert client.get("/account/sessions", follow_redirects=False).status_code == 303


def test_log_out_everywhere(seeded, app, client) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    code, verifier = login_code(client, number=LI[0], password=LI[1])
    tokens = exchange(client, code, verifier).json()
    with TestClient(app) as phone:
        login_code(phone, number=LI[0], password=LI[1])
        page = client.get("/account/sessions")
        assert page.text.count("退出该会话") == 2 and "1101**********0078" in page.text
        client.post("/account/sessions/logout-all", data={"csrf": csrf_of(page.text)})
        assert phone.get("/account/sessions", follow_redirects=False).status_code == 303
    assert (
        client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code
        == 401
    )


def test_restart_keeps_revocations_sessions_and_keys(seeded, settings, client) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from onenumber.app import create_app

    code, verifier = login_code(client, number=LI[0], password=LI[1])
    tokens = exchange(client, code, verifier).json()
    kept = exchange(client, *login_code(client, number=LI[0], password=LI[1])).json()
    client.post("/revoke", data={"token": tokens["access_token"], "client_id": "demo-rp"})
    jwks_before = client.get("/jwks.json").json()
    cookies = dict(client.cookies)
    restarted = create_app(settings)
    with TestClient(restarted, cookies=cookies) as again:
        assert again.get("/jwks.json").json() == jwks_before
        revoked = again.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert revoked.status_code == 401
        live = again.get("/userinfo", headers={"Authorization": f"Bearer {kept['access_token']}"})
        assert live.status_code == 200
        _, challenge = pkce()
        from tests.helpers.idp_helpers import authorize_params

        silent = again.get(
            "/authorize?" + urlencode(authorize_params(challenge, prompt="none")), follow_redirects=False
        )
        assert "code" in parse_qs(urlparse(silent.headers["location"]).query)
