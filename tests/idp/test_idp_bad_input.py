"""Bad input: each answer carries its RFC error code and nothing changes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

from sqlalchemy import func, select

from core.runtime import runtime_of
from core.worklog.models import WorkLogEntry
from idp.oauth.models import AuthorizationCode, DeviceCode, RefreshToken
from tests.helpers.idp_helpers import LI, RP_REDIRECT, authorize_params, exchange, login_code, pkce


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    with runtime_of(app).sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _error(response) -> list[str]:  # type: ignore[no-untyped-def]
    return parse_qs(urlparse(response.headers["location"]).query).get("error", [])


def test_unregistered_redirect_uri_shows_page_without_redirect(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _, challenge = pkce()
    params = authorize_params(challenge, redirect_uri="https://evil.example/cb")
    response = client.get("/authorize?" + urlencode(params), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers
    assert "text/html" in response.headers["content-type"] and "回调地址未登记" in response.text
    assert _count(seeded, AuthorizationCode) == 0


def test_unknown_client_shows_page(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, client_id="nobody")), follow_redirects=False
    )
    assert response.status_code == 400 and "location" not in response.headers


def test_missing_pkce_refused_at_authorize(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    before = _count(seeded, AuthorizationCode)
    response = client.get("/authorize?" + urlencode(authorize_params(None)), follow_redirects=False)
    assert response.headers["location"].startswith(RP_REDIRECT) and _error(response) == ["invalid_request"]
    assert _count(seeded, AuthorizationCode) == before


def test_plain_pkce_refused_at_authorize(seeded, client) -> None:  # type: ignore[no-untyped-def]
    login_code(client, number=LI[0], password=LI[1])
    before = _count(seeded, AuthorizationCode)
    verifier, _ = pkce()
    params = authorize_params(None, code_challenge=verifier, code_challenge_method="plain")
    response = client.get("/authorize?" + urlencode(params), follow_redirects=False)
    assert _error(response) == ["invalid_request"]
    assert _count(seeded, AuthorizationCode) == before


def test_unknown_scope(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _, challenge = pkce()
    response = client.get(
        "/authorize?" + urlencode(authorize_params(challenge, scope="openid admin:everything")),
        follow_redirects=False,
    )
    assert _error(response) == ["invalid_scope"]
    bad = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "license:destroy"},
        auth=("demo-verifier", "demo-verifier-secret"),
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scope"


def test_replayed_code(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    assert exchange(client, code, verifier).status_code == 200
    refresh_before, log_before = _count(seeded, RefreshToken), _count(seeded, WorkLogEntry)
    again = exchange(client, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # no new token; the replay is logged (and revokes the first exchange's tokens: test_idp_protocol_edges)
    assert (_count(seeded, RefreshToken), _count(seeded, WorkLogEntry)) == (refresh_before, log_before + 1)


def test_expired_code(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, verifier = login_code(client, number=LI[0], password=LI[1])
    with runtime_of(seeded).sessionmaker() as session:
        row = session.scalars(select(AuthorizationCode)).one()
        row.expires_at = row.expires_at - timedelta(minutes=5)
        session.commit()
    response = exchange(client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert _count(seeded, RefreshToken) == 0


def test_wrong_code_verifier(seeded, client) -> None:  # type: ignore[no-untyped-def]
    code, _ = login_code(client, number=LI[0], password=LI[1])
    other, _ = pkce()
    response = exchange(client, code, other)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert _count(seeded, RefreshToken) == 0


def test_wrong_client_secret(seeded, client) -> None:  # type: ignore[no-untyped-def]
    log_before = _count(seeded, WorkLogEntry)
    response = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("demo-verifier", "nope")
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert _count(seeded, WorkLogEntry) == log_before


def test_expired_device_code(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = client.post(
        "/device_authorization", data={"client_id": "demo-kiosk", "scope": "openid profile"}
    ).json()
    with runtime_of(seeded).sessionmaker() as session:
        row = session.scalars(select(DeviceCode)).one()
        row.expires_at = row.expires_at - timedelta(hours=1)
        session.commit()
    response = client.post(
        "/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": grant["device_code"],
            "client_id": "demo-kiosk",
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "expired_token"
    with runtime_of(seeded).sessionmaker() as session:
        assert session.scalars(select(DeviceCode)).one().last_polled_at is None


def test_polling_too_fast_is_slow_down(seeded, client) -> None:  # type: ignore[no-untyped-def]
    grant = client.post("/device_authorization", data={"client_id": "demo-kiosk", "scope": "openid"}).json()
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": grant["device_code"],
        "client_id": "demo-kiosk",
    }
    first = client.post("/token", data=data)
    assert first.json()["error"] == "authorization_pending"
    second = client.post("/token", data=data)
    assert second.status_code == 400 and second.json()["error"] == "slow_down"
    with runtime_of(seeded).sessionmaker() as session:
        assert session.scalars(select(DeviceCode)).one().interval == 10


def test_invalid_id_number_at_registration_names_the_rule(seeded, client) -> None:  # type: ignore[no-untyped-def]
    from idp.parties.models import Person
    from tests.helpers.idp_helpers import csrf_of

    page = client.get("/register")
    before = _count(seeded, Person)
    response = client.post(
        "/register",
        data={
            "csrf": csrf_of(page.text),
            "number": "110105194912310021",
            "name": "王小明",
            "phone": "13900000000",
            "password": "Abcdef-2026",
        },
    )
    assert response.status_code == 422
    assert "校验位不正确" in response.text  # the broken rule: checksum
    assert _count(seeded, Person) == before
    en = client.post(
        "/register?lang=en",
        data={"csrf": csrf_of(page.text), "number": "1101051949", "name": "", "password": "short"},
    )
    assert "has the wrong length" in en.text and "is too short" in en.text and "is required" in en.text


def test_form_without_csrf_is_refused(seeded, client) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")
    response = client.post("/login", data={"number": LI[0], "password": LI[1]})
    assert response.status_code == 403 and "页面已过期" in response.text
