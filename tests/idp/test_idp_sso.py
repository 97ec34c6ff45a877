"""SSO across clients, prompt=none, max_age, acr step-up and consent."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pyotp

from core.runtime import runtime_of
from tests.helpers.idp_helpers import (
    LI,
    RP_REDIRECT,
    WANG,
    ZHANG,
    authorize_params,
    exchange,
    follow_to_callback,
    login_code,
    pkce,
)


def _hall_params(challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "hall",
        "redirect_uri": "http://testserver/hall/callback",
        "scope": "openid profile",
        "state": "hs",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def test_second_client_gets_code_without_password(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    response = client.get("/authorize?" + urlencode(_hall_params(challenge)), follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://testserver/hall/callback?")
    assert "code" in parse_qs(urlparse(location).query)


def test_prompt_none_without_session_is_login_required(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _, challenge = pkce()
    params = authorize_params(challenge, prompt="none")
    response = client.get("/authorize?" + urlencode(params), follow_redirects=False)
    assert response.status_code == 302
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert response.headers["location"].startswith(RP_REDIRECT)
    assert query["error"] == ["login_required"] and query["state"] == [params["state"]]


def test_prompt_none_with_session_returns_code(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, prompt="none")), follow_redirects=False
    )
    assert "code" in parse_qs(urlparse(response.headers["location"]).query)


def test_max_age_zero_forces_new_login(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, max_age="0")), follow_redirects=False
    )
    assert response.status_code == 302 and response.headers["location"].startswith("/login?")
    query = follow_to_callback(client, response, number=LI[0], password=LI[1])
    assert "code" in query


def test_prompt_login_forces_new_login(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, prompt="login")), follow_redirects=False
    )
    assert response.headers["location"].startswith("/login?")


def test_acr_values_force_totp_step_up(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from idp.parties import service

    with runtime_of(seeded).sessionmaker() as session:
        # 王五 was checked in person (high): ``high`` needs a second factor, so acr_values=high asks for TOTP
        person = service.get_by_number(session=session, settings=runtime_of(seeded).settings, number=WANG[0])
        secret = service.set_totp(session=session, settings=runtime_of(seeded).settings, person=person)
        session.commit()
    login_code(client, number=WANG[0], password=WANG[1])
    verifier, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, acr_values="high")),
        follow_redirects=False,
    )
    assert response.headers["location"].startswith("/login/totp?")
    page = client.get(response.headers["location"])
    from tests.helpers.idp_helpers import csrf_of, hidden

    wrong = client.post(
        "/login/totp",
        data={"csrf": csrf_of(page.text), "code": "000000", "next": hidden(page.text, "next")},
        follow_redirects=False,
    )
    assert wrong.status_code == 401 and "动态验证码不正确" in wrong.text
    ok = client.post(
        "/login/totp",
        data={
            "csrf": csrf_of(page.text),
            "code": pyotp.TOTP(secret).now(),
            "next": hidden(page.text, "next"),
        },
        follow_redirects=False,
    )
    query = follow_to_callback(client, ok, number=WANG[0], password=WANG[1])
    body = exchange(client, query["code"][0], verifier).json()
    from joserfc import jwt
    from joserfc.jwk import KeySet

    claims = jwt.decode(body["id_token"], KeySet.import_key_set(client.get("/jwks.json").json())).claims
    assert claims["acr"] == "high" and "otp" in claims["amr"]


def test_id_number_needs_consent_and_is_released_after_it(seeded, client) -> None:  # type: ignore[no-untyped-def]
    verifier, challenge = pkce()
    params = authorize_params(challenge, scope="openid profile id_number")
    response = client.get("/authorize?" + urlencode(params), follow_redirects=False)
    seen_consent = []
    original_post = client.post

    def spy(url, *args, **kwargs):  # type: ignore[no-untyped-def]
        if url == "/consent":
            seen_consent.append(True)
        return original_post(url, *args, **kwargs)

    client.post = spy
    try:
        query = follow_to_callback(client, response, number=LI[0], password=LI[1])
    finally:
        client.post = original_post
    assert seen_consent
    body = exchange(client, query["code"][0], verifier).json()
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert info["id_number"] == LI[0]


def test_consent_denied_redirects_access_denied(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.idp_helpers import csrf_of, hidden

    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    page = client.get("/authorize?" + urlencode(authorize_params(challenge, scope="openid id_number")))
    assert 'action="/consent"' in page.text
    response = client.post(
        "/consent",
        data={"csrf": csrf_of(page.text), "decision": "deny", "next": hidden(page.text, "next")},
        follow_redirects=False,
    )
    assert parse_qs(urlparse(response.headers["location"]).query)["error"] == ["access_denied"]


def test_prompt_none_needing_consent_is_consent_required(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    _, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, scope="openid id_number", prompt="none")),
        follow_redirects=False,
    )
    assert parse_qs(urlparse(response.headers["location"]).query)["error"] == ["consent_required"]


def test_acting_for_organisation(seeded, client) -> None:  # type: ignore[no-untyped-def]
    import re

    verifier, challenge = pkce()
    response = client.get("/authorize?" + urlencode(authorize_params(challenge)), follow_redirects=False)
    page = client.get(response.headers["location"])
    from tests.helpers.idp_helpers import csrf_of, hidden

    response = client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "number": ZHANG[0],
            "password": ZHANG[1],
            "next": hidden(page.text, "next"),
        },
        follow_redirects=False,
    )
    select = client.get(response.headers["location"])
    assert "示例科技有限公司" in select.text
    delegation = re.search(r'name="delegation" value="(\d+)"', select.text).group(1)  # type: ignore[union-attr]
    query = follow_to_callback(
        client,
        client.post(
            "/login/select",
            data={
                "csrf": csrf_of(select.text),
                "delegation": delegation,
                "next": hidden(select.text, "next"),
            },
            follow_redirects=False,
        ),
        number=ZHANG[0],
        password=ZHANG[1],
    )
    body = exchange(client, query["code"][0], verifier).json()
    from idp.tokens import make_token_verifier

    claims = make_token_verifier(runtime_of(seeded), runtime_of(seeded).settings)(body["access_token"])
    assert claims["act_for"]["credit_code"] == "91110000600037341L"
    assert claims["act_for"]["role"] == "legal_representative" and claims["act_for"]["hid"]
