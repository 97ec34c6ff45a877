"""Pairwise subject identifiers (OIDC Core §8) for third-party clients, the public ``sub`` for the platform's
own channels: the code flow through the pages, the token endpoint, userinfo, introspection, refresh,
back-channel logout, the consent page and the sector rules of registration."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from core.runtime import runtime_of
from idp.errors import InvalidField
from idp.oauth import clients as client_service
from idp.oauth import subjects
from idp.oauth.models import PairwiseSubject
from idp.parties import service as party_service
from idp.seed import VERIFIER_SECRET
from tests.helpers.idp_helpers import LI, ZHANG, csrf_of, hidden, pkce

SECRET = "third-party-secret-0123456789"


def _register(app: Any, client_id: str, redirect_uri: str, **extra: Any) -> None:
    with runtime_of(app).sessionmaker() as session:
        client_service.create(
            session=session,
            settings=runtime_of(app).settings,
            client_id=client_id,
            name=extra.pop("name", f"第三方应用 {client_id}"),
            kind="web",
            secret=SECRET,
            redirect_uris=[redirect_uri],
            post_logout_redirect_uris=[redirect_uri + "/bye"],
            scopes=["openid", "profile", "offline_access"],
            **extra,
        )
        session.commit()


def _drive(browser: TestClient, url: str, redirect_uri: str, *, who: tuple[str, str], pages: list[str]) -> str:
    """Follow the idp's pages (login, organisation choice, consent: allowed) to ``redirect_uri``; the code."""
    response = browser.get(url, follow_redirects=False)
    for _ in range(12):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if location.startswith(redirect_uri):
                return parse_qs(urlparse(location).query)["code"][0]
            response = browser.get(location, follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:500]
        page = response.text
        form = {"csrf": csrf_of(page), "next": hidden(page, "next")}
        if 'action="/login"' in page:
            pages.append("login")
            response = browser.post("/login", data={**form, "number": who[0], "password": who[1]}, follow_redirects=False)
        elif 'action="/login/select"' in page:
            response = browser.post("/login/select", data={**form, "delegation": ""}, follow_redirects=False)
        elif 'action="/consent"' in page:
            pages.append(page)
            response = browser.post("/consent", data={**form, "decision": "allow"}, follow_redirects=False)
        else:
            raise AssertionError(page[:500])
    raise AssertionError("too many steps")


def _tokens(
    browser: TestClient,
    client_id: str,
    redirect_uri: str,
    *,
    who: tuple[str, str] = LI,
    secret: str | None = SECRET,
    scope: str = "openid profile offline_access",
    pages: list[str] | None = None,
) -> dict[str, Any]:
    verifier, challenge = pkce()
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
        "state": "st", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256",
    }
    code = _drive(browser, "/authorize?" + urlencode(params), redirect_uri, who=who, pages=[] if pages is None else pages)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    if secret is None:
        response = browser.post("/token", data={**data, "client_id": client_id})
    else:
        response = browser.post("/token", data=data, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _claims(browser: TestClient, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(browser.get("/jwks.json").json())
    return dict(jwt.decode(token, keys, algorithms=["ES256", "RS256"]).claims)


def _public_sub(app: Any, number: str) -> str:
    with runtime_of(app).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=runtime_of(app).settings, number=number)
        assert person is not None
        return person.sub


def _subs(browser: TestClient, tokens: dict[str, Any]) -> dict[str, str]:
    """The sub of the ID token, the access token, userinfo and introspection (by a department system)."""
    info = browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200, info.text
    seen = browser.post("/introspect", data={"token": tokens["access_token"]}, auth=("demo-verifier", VERIFIER_SECRET))
    assert seen.json()["active"] is True
    return {
        "id_token": _claims(browser, tokens["id_token"])["sub"],
        "access_token": _claims(browser, tokens["access_token"])["sub"],
        "userinfo": info.json()["sub"],
        "introspection": seen.json()["sub"],
    }


def test_discovery_advertises_public_and_pairwise(seeded, client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/.well-known/openid-configuration").json()["subject_types_supported"] == ["public", "pairwise"]


def test_seed_makes_third_parties_pairwise_and_own_channels_public(seeded) -> None:  # type: ignore[no-untyped-def]
    with runtime_of(seeded).sessionmaker() as session:
        kinds = {r.client_id: (r.subject_type, r.sector_identifier) for r in client_service.list_all(session=session)}
    assert kinds["demo-rp"] == ("pairwise", "127.0.0.1")
    for own in ("hall", "demo-app", "demo-kiosk", "demo-verifier"):
        assert kinds[own] == ("public", None), own


def test_pairwise_sub_is_the_same_everywhere_and_stable_across_logins(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _register(seeded, "rp-a", "https://a.example/cb")
    first = _subs(client, _tokens(client, "rp-a", "https://a.example/cb"))
    sub = first["id_token"]
    assert set(first.values()) == {sub}, first  # ID token, access token, userinfo and introspection agree
    assert sub != _public_sub(seeded, LI[0])
    with TestClient(seeded) as other_browser:  # a second login, in a browser of its own
        pages: list[str] = []
        again = _tokens(other_browser, "rp-a", "https://a.example/cb", pages=pages)
        assert "login" in pages
        assert set(_subs(other_browser, again).values()) == {sub}
    # a refreshed access token speaks for the same sub
    refreshed = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": again["refresh_token"]}, auth=("rp-a", SECRET)
    )
    assert refreshed.status_code == 200, refreshed.text
    assert _claims(client, refreshed.json()["access_token"])["sub"] == sub
    with runtime_of(seeded).sessionmaker() as session:  # computed once, then kept
        rows = session.query(PairwiseSubject).filter_by(sector="a.example").all()
        assert [r.sub for r in rows] == [sub]


def test_sectors_differ_clients_of_one_sector_agree_persons_differ(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _register(seeded, "rp-a", "https://a.example/cb")
    _register(seeded, "rp-b", "https://b.example/cb")
    _register(seeded, "rp-a2", "https://a.example/other-cb")  # another client of the same sector (§8.1)
    a = _claims(client, _tokens(client, "rp-a", "https://a.example/cb")["id_token"])["sub"]
    b = _claims(client, _tokens(client, "rp-b", "https://b.example/cb")["id_token"])["sub"]
    a2 = _claims(client, _tokens(client, "rp-a2", "https://a.example/other-cb")["id_token"])["sub"]
    # the seeded third party demo-rp (public client, code + PKCE) is the sector 127.0.0.1
    rp = _claims(client, _tokens(client, "demo-rp", "http://127.0.0.1:3000/cb", secret=None)["id_token"])["sub"]
    assert a == a2 and len({a, b, rp, _public_sub(seeded, LI[0])}) == 4
    with TestClient(seeded) as zhang_browser:
        zhang = _claims(zhang_browser, _tokens(zhang_browser, "rp-a", "https://a.example/cb", who=ZHANG)["id_token"])
    assert zhang["sub"] != a and zhang["name"] == "张三"


def test_first_party_clients_get_the_public_sub(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _register(seeded, "own-portal", "https://portal.example/cb", trusted=True)
    pages: list[str] = []
    tokens = _tokens(client, "own-portal", "https://portal.example/cb", pages=pages)
    assert set(_subs(client, tokens).values()) == {_public_sub(seeded, LI[0])}
    assert not [p for p in pages if p != "login"], "a first-party client asks no consent for openid profile"
    app_tokens = _tokens(client, "demo-app", "http://127.0.0.1:3000/app-cb", secret=None, scope="openid profile")
    assert _claims(client, app_tokens["id_token"])["sub"] == _public_sub(seeded, LI[0])
    assert _claims(client, app_tokens["access_token"])["first_party"] is True


def test_third_party_consent_lists_what_it_will_see(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _register(seeded, "rp-a", "https://a.example/cb", name="示例第三方应用")
    pages: list[str] = []
    _tokens(client, "rp-a", "https://a.example/cb", pages=pages)
    consent = [p for p in pages if p != "login"]
    assert len(consent) == 1
    page = consent[0]
    assert "示例第三方应用" in page
    assert "该应用专用的账户标识" in page  # the pairwise identifier, said so
    assert "姓名及实名认证等级" in page and "在您离开后继续访问" in page
    assert page.index("该应用专用的账户标识") < page.index("姓名及实名认证等级")
    # granted once: the next authorization of the same scopes asks nothing
    again: list[str] = []
    _tokens(client, "rp-a", "https://a.example/cb", pages=again)
    assert again == []


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    """A relying party on loopback that records back-channel logout tokens."""
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
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/backchannel", received
    server.shutdown()


def test_backchannel_logout_carries_the_sub_each_rp_knows(seeded, client, receiver) -> None:  # type: ignore[no-untyped-def]
    uri, received = receiver
    _register(seeded, "rp-a", "https://a.example/cb", backchannel_logout_uri=uri)
    _register(seeded, "own-portal", "https://portal.example/cb", trusted=True, backchannel_logout_uri=uri)
    third = _tokens(client, "rp-a", "https://a.example/cb")
    _tokens(client, "own-portal", "https://portal.example/cb")
    page = client.get("/logout")
    assert client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False).status_code in (200, 302, 303)
    for _ in range(50):
        if len(received) >= 2:
            break
        time.sleep(0.1)
    by_client = {c["aud"]: c["sub"] for c in (_claims(client, t) for t in received)}
    assert by_client == {"rp-a": _claims(client, third["id_token"])["sub"], "own-portal": _public_sub(seeded, LI[0])}


def test_sector_rules_of_registration(seeded) -> None:  # type: ignore[no-untyped-def]
    settings = runtime_of(seeded).settings
    with runtime_of(seeded).sessionmaker() as session:

        def create(client_id: str, uris: list[str], **extra: Any) -> Any:
            row, _ = client_service.create(
                session=session, settings=settings, client_id=client_id, name=client_id, kind="web",
                redirect_uris=uris, **extra,
            )
            return row

        with pytest.raises(InvalidField) as several:
            create("two-hosts", ["https://a.example/cb", "https://b.example/cb"])
        assert several.value.field == "sector_identifier_uri"
        row = create(
            "two-hosts", ["https://a.example/cb", "https://b.example/cb"],
            sector_identifier_uri="https://sector.example/redirects.json",
        )
        assert (row.subject_type, row.sector_identifier) == ("pairwise", "sector.example")
        with pytest.raises(InvalidField):
            create("plain-http", ["https://a.example/cb"], sector_identifier_uri="http://sector.example/r.json")
        with pytest.raises(InvalidField):
            create("public-sector", ["https://a.example/cb"], subject_type="public",
                   sector_identifier_uri="https://sector.example/r.json")
        assert create("same-host", ["https://A.example/cb", "https://a.example/cb2"]).sector_identifier == "a.example"
        assert create("chosen-public", ["https://c.example/cb"], subject_type="public").subject_type == "public"
        device, _ = client_service.create(
            session=session, settings=settings, client_id="other-kiosk", name="k", kind="kiosk"
        )
        assert (device.subject_type, device.sector_identifier) == ("pairwise", "client:other-kiosk")
        session.rollback()
    subjects.check_sector_document(["https://a.example/cb", "https://b.example/cb"], redirect_uris=["https://a.example/cb"])
    with pytest.raises(InvalidField):
        subjects.check_sector_document(["https://a.example/cb"], redirect_uris=["https://b.example/cb"])
    with pytest.raises(InvalidField):
        subjects.check_sector_document({"redirect_uris": []}, redirect_uris=[])


def test_a_stored_pairwise_sub_survives_a_new_master_key(seeded, client) -> None:  # type: ignore[no-untyped-def]
    _register(seeded, "rp-a", "https://a.example/cb")
    sub = _claims(client, _tokens(client, "rp-a", "https://a.example/cb")["id_token"])["sub"]
    settings = runtime_of(seeded).settings
    rotated = settings.model_copy(update={"secret_key": "another-master-key-0123456789abcdef0123"})
    with runtime_of(seeded).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=LI[0])
        row = client_service.get(session=session, client_id="rp-a")
        assert person is not None and row is not None
        assert subjects.pairwise_value(sector="a.example", person_sub=person.sub, settings=settings) == sub
        assert subjects.pairwise_value(sector="a.example", person_sub=person.sub, settings=rotated) != sub
        assert subjects.subject_for(session=session, settings=rotated, client=row, person=person) == sub
        assert subjects.person_for(session=session, client=row, sub=sub) == person
        assert subjects.person_for(session=session, client=row, sub=person.sub) is None  # not this client's sub
