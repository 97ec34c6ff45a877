"""The hardening world: the demo data of ``onenumber seed`` plus the people and systems of the
authorization matrix, each with a REAL idp credential (access tokens signed by idp's key ring and checked
by the app's own token verifier; department systems get theirs from POST /token)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from fastapi.testclient import TestClient

from channels.rendering import CSRF_COOKIE
from core.runtime import runtime_of
from core.settings import Settings
from identifiers import license_id
from identifiers.iso7064 import mod_11_2_check
from idp.oauth import clients as client_service
from idp.oauth.claims import principal_for
from idp.parties import service as party_service
from idp.parties.passwords import hash_password
from idp.tokens import issue_access_token, keyring_for
from idp.web.pages import CSRF_COOKIE as IDP_CSRF_COOKIE
from onenumber import seed as platform_seed
from storage.deps import BLOB_STORE

HEALTH = "11110000000245016J"  # department X: reviews birth registrations
CIVIL = "111100000001370319"  # department Y: issued 张三's marriage certificate
MARKET = "11110000000137023E"  # the department holder A granted the use of their marriage certificate
ORG_CODE = "91110000600037341L"
ZHANG = ("张三", "11010519491231002X", "Zhangsan-2026")
LI = ("李四", "110102199101010078", "Lisi-2026")
PASSWORD = "Matrix-2026-pass"
CSRF = "matrix-csrf-token-0123456789"
BIRTH_REGISTRATION = "WSJK-GG-0001"


def resident_id(area: str, born: str, seq: str) -> str:
    """A valid resident ID number (GB 11643 check character)."""
    body = area + born + seq
    return body + mod_11_2_check(body)


# role → (name, number, staff roles, delegation scopes for the demo organisation or None)
EXTRA_PEOPLE: dict[str, tuple[str, str, list[tuple[str, str | None]], list[str] | None]] = {
    "agent": ("赵六", resident_id("110101", "19800101", "011"), [], ["wallet"]),
    "agent_nodeleg": ("钱七", resident_id("110101", "19800202", "021"), [], None),
    "clerk_x": ("孙八", resident_id("110101", "19800303", "031"), [("clerk", HEALTH), ("counter", None)], None),
    "approver_x": ("周九", resident_id("110101", "19800404", "041"), [("approver", HEALTH)], None),
    "approver_y": ("吴十", resident_id("110101", "19800505", "051"), [("approver", CIVIL)], None),
    "admin": ("郑一", resident_id("110101", "19800606", "061"), [("admin", None)], None),
}
PERSON_ROLES = ["holder_a", "holder_b", *EXTRA_PEOPLE]
SYSTEM_ROLES = ["dept_grant", "dept_nogrant"]
# 张三's tokens as the third-party relying party demo-rp got them (real code flow): only openid, and
# wallet:read (consented); least privilege refuses the first everywhere and masks numbers for the second.
RP_ROLES = {"rp_openid": "openid", "rp_wallet_read": "openid wallet:read"}
ROLES = ["anonymous", *PERSON_ROLES, *SYSTEM_ROLES, *RP_ROLES]
HALL_TOKEN_SCOPE = "openid profile id_number wallet:read wallet:share wallet:apply"


@dataclass
class World:
    """Seeded data of the matrix and one credential per role."""

    app: Any
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    page_clients: dict[str, TestClient] = field(default_factory=dict)

    roles = ROLES

    def clear_numbers(self) -> dict[str, str]:
        """Clear ID numbers of the persons of the world, by role (what no one else may read)."""
        return {role: self.numbers[role] for role in PERSON_ROLES}

    def headers(self, role: str) -> dict[str, str]:
        """Authorization header of ``role`` (none for anonymous)."""
        if role in RP_ROLES:
            self._fresh_rp_token(role)
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def api(self, role: str, method: str, path: str, **kw: Any) -> Any:
        """A request to the API as ``role``."""
        headers = {**self.headers(role), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, follow_redirects=False, **kw)

    def _fresh_rp_token(self, role: str) -> None:
        # A relying party's token carries 张三's SSO session id: a cell that ends his sessions (logout-all)
        # revokes it, as it should; the relying party then signs him in again, as a real one would.
        from idp.errors import IdpError

        try:
            runtime_of(self.app).token_verifier(self.tokens[role])
        except IdpError:
            self.tokens[role] = str(rp_code_flow(self.app, ZHANG[1], ZHANG[2], RP_ROLES[role])["access_token"])

    def page(self, role: str, method: str, path: str, **kw: Any) -> Any:
        """A request through ``role``'s browser (hall session cookie; a bearer header for systems and
        relying parties, whose tokens are no hall session)."""
        if role in RP_ROLES:
            headers = {**self.headers(role), **kw.pop("headers", {})}
            return self.client.request(method, path, headers=headers, follow_redirects=False, **kw)
        browser = self.page_clients.get(role)
        if browser is None:
            browser = self.page_clients[role] = _browser(self.app)
            if role in PERSON_ROLES:
                password = {"holder_a": ZHANG[2], "holder_b": LI[2]}.get(role, PASSWORD)
                hall_login(browser, self.numbers[role], password, act_for=ORG_CODE if role == "agent" else None)
        headers = {**(self.headers(role) if role in SYSTEM_ROLES else {}), **kw.pop("headers", {})}
        return browser.request(method, path, headers=headers, follow_redirects=False, **kw)


def _browser(app: Any) -> TestClient:
    browser = TestClient(app)
    browser.cookies.set(CSRF_COOKIE, CSRF)
    browser.cookies.set(IDP_CSRF_COOKIE, CSRF)
    return browser


def hall_login(browser: TestClient, number: str, password: str, *, act_for: str | None = None) -> None:
    """Sign in to the hall through the real pages: /hall/login → idp /authorize → /login → callback."""
    response = browser.get("/hall/login", follow_redirects=False)
    for _ in range(12):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if urlparse(location).path == "/hall":
                # The callback issued a fresh CSRF token (privilege change); this browser keeps using the
                # matrix's known token, as a real browser would read the new one from its next page.
                for name in (CSRF_COOKIE, IDP_CSRF_COOKIE):  # the idp renews its token at login too
                    if any(cookie.name == name for cookie in browser.cookies.jar):
                        browser.cookies.delete(name)  # every copy (the preset one and the renewed one)
                        browser.cookies.set(name, CSRF)
                return
            response = browser.get(location, follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:500]
        page = response.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        nxt = re.search(r'name="next" value="([^"]*)"', page)
        assert csrf and nxt, page[:500]
        form = {"csrf": csrf.group(1), "next": html.unescape(nxt.group(1))}
        if 'action="/login"' in page:
            response = browser.post("/login", data={**form, "number": number, "password": password},
                                    follow_redirects=False)
        elif 'action="/login/select"' in page:
            choice = ""
            if act_for:
                option = re.search(rf'name="delegation" value="(\d+)"[^>]*>[^<]*(?:<[^>]+>[^<]*)*?{act_for}', page)
                choice = option.group(1) if option else re.findall(r'name="delegation" value="(\d+)"', page)[0]
            response = browser.post("/login/select", data={**form, "delegation": choice}, follow_redirects=False)
        elif 'action="/consent"' in page:
            response = browser.post("/consent", data={**form, "decision": "allow"}, follow_redirects=False)
        else:
            raise AssertionError(f"unexpected page during hall login: {page[:500]}")
    raise AssertionError("hall login did not finish")


def _person_token(app: Any, settings: Settings, number: str, *, act_for: str | None = None) -> str:
    """An access token minted by idp's own code for the person with ``number`` (as the hall client)."""
    with runtime_of(app).sessionmaker() as session:
        person = party_service.get_by_number(session=session, settings=settings, number=number)
        assert person is not None
        claim = None
        if act_for:
            options = [o for o in party_service.list_acting_options(session=session, person=person)
                       if o.credit_code == act_for]
            assert options, f"no delegation for {act_for}"
            claim = party_service.act_for_claim(options[0], settings=settings)
        facts = {"acr": "password", "amr": ["pwd"], "auth_time": int(time.time()), "act_for": claim}
        principal = principal_for(session=session, settings=settings, person=person, sid=None, facts=facts)
        hall = client_service.get(session=session, client_id="hall")
        assert hall is not None
        token, _ = issue_access_token(
            keyring=keyring_for(runtime_of(app)), settings=settings, client_id="hall",
            scope=HALL_TOKEN_SCOPE, principal=principal, client_claims=client_service.token_claims(hall),
        )
    return token


RP_CLIENT = "demo-rp"
RP_REDIRECT = "http://127.0.0.1:3000/cb"


def rp_code_flow(app: Any, number: str, password: str, scope: str) -> dict[str, Any]:
    """A relying party's real authorization-code flow (PKCE) for demo-rp: /authorize, the idp's login,
    organisation and consent pages (allowing), then /token. Returns the token response."""
    browser = _browser(app)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": RP_CLIENT, "redirect_uri": RP_REDIRECT, "scope": scope,
              "state": "st-rp", "nonce": "n-rp", "code_challenge": challenge, "code_challenge_method": "S256"}
    response = browser.get("/authorize?" + urlencode(params), follow_redirects=False)
    for _ in range(12):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if location.startswith(RP_REDIRECT):
                query = parse_qs(urlparse(location).query)
                assert "code" in query, location
                token = browser.post("/token", data={
                    "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": RP_REDIRECT,
                    "client_id": RP_CLIENT, "code_verifier": verifier})
                assert token.status_code == 200, token.text
                return dict(token.json())
            response = browser.get(location, follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:500]
        page = response.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        nxt = re.search(r'name="next" value="([^"]*)"', page)
        assert csrf and nxt, page[:500]
        form = {"csrf": csrf.group(1), "next": html.unescape(nxt.group(1))}
        if 'action="/login"' in page:
            response = browser.post("/login", data={**form, "number": number, "password": password},
                                    follow_redirects=False)
        elif 'action="/login/select"' in page:
            response = browser.post("/login/select", data={**form, "delegation": ""}, follow_redirects=False)
        elif 'action="/consent"' in page:
            response = browser.post("/consent", data={**form, "decision": "allow"}, follow_redirects=False)
        else:
            raise AssertionError(f"unexpected page during the relying party's login: {page[:500]}")
    raise AssertionError("the relying party's login did not finish")


def _client_token(client: TestClient, client_id: str, secret: str, scope: str) -> str:
    response = client.post("/token", data={"grant_type": "client_credentials", "scope": scope},
                           auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def build_world(app: Any, client: TestClient) -> World:
    """Seed the demo data and the matrix's people, systems, licenses, grants and applications."""
    settings: Settings = runtime_of(app).settings
    world = World(app=app, client=client)
    with runtime_of(app).sessionmaker() as session:
        platform_seed.run(session=session, settings=settings, blob_store=runtime_of(app).get(BLOB_STORE))
        org = party_service.get_organization(session=session, credit_code=ORG_CODE)
        assert org is not None
        for role, (name, number, roles, scopes) in EXTRA_PEOPLE.items():
            person = party_service.create(session=session, settings=settings, number=number, name=name,
                                          phone=None, password_hash=hash_password(PASSWORD))
            party_service.raise_assurance(session=session, person=person, level="substantial", by="test")
            for role_name, dept in roles:
                party_service.grant_role(session=session, person=person, role=role_name, department_code=dept)
            if scopes is not None:
                party_service.delegate(session=session, organization=org, person=person, role="agent",
                                       scopes=scopes)
            world.numbers[role] = number
        secrets_by_client = {}
        for client_id, dept in (("market-system", MARKET), ):
            _, secret = client_service.create(
                session=session, settings=settings, client_id=client_id, name="市场监管业务系统",
                kind="department", department_code=dept, scopes=["license:read", "license:verify"])
            secrets_by_client[client_id] = secret
        session.commit()
    world.numbers.update(holder_a=ZHANG[1], holder_b=LI[1])
    for role in PERSON_ROLES:
        world.tokens[role] = _person_token(app, settings, world.numbers[role],
                                           act_for=ORG_CODE if role == "agent" else None)
    world.tokens["dept_grant"] = _client_token(client, "market-system", str(secrets_by_client["market-system"]),
                                               "license:read license:verify")
    world.tokens["dept_nogrant"] = _client_token(client, "demo-verifier", "demo-verifier-secret",
                                                 "license:read license:verify")
    for role, scope in RP_ROLES.items():
        world.tokens[role] = str(rp_code_flow(app, ZHANG[1], ZHANG[2], scope)["access_token"])
    _seed_holder_data(world)
    return world


def _ok(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), response.text[:800]
    return response.json()


def _seed_holder_data(world: World) -> None:
    """Licenses, a grant, presentations and applications the matrix probes."""
    refs = world.refs
    mine = _ok(world.api("holder_a", "GET", "/api/wallet/licenses"))
    refs["license_a"] = next(x["identifier"] for x in mine if "结婚" in x["license_type"]["name"])
    org_licenses = _ok(world.api("agent", "GET", "/api/wallet/licenses"))
    refs["license_org"] = next(x["identifier"] for x in org_licenses if x["holder"]["kind"] != "person")
    theirs = _ok(world.api("holder_b", "GET", "/api/wallet/licenses"))
    refs["license_b"] = theirs[0]["identifier"]
    refs["license_missing"] = _missing_identifier(refs["license_a"])
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    refs["grant_until"] = until
    grant = _ok(world.api("holder_a", "POST", "/api/wallet/grants", json={
        "identifier": refs["license_a"], "grantee_kind": "department", "grantee": MARKET,
        "purpose": "social_security", "valid_until": until}))
    refs["grant_a"] = str(grant["id"])
    spare = _ok(world.api("holder_a", "POST", "/api/wallet/grants", json={
        "identifier": refs["license_a"], "grantee_kind": "department", "grantee": HEALTH,
        "purpose": "exit_entry_documents", "valid_until": until}))
    refs["grant_a_spare"] = str(spare["id"])
    page_grant = _ok(world.api("holder_a", "POST", "/api/wallet/grants", json={
        "identifier": refs["license_a"], "grantee_kind": "department", "grantee": CIVIL,
        "purpose": "real_estate_registration", "valid_until": until}))
    refs["grant_a_page"] = str(page_grant["id"])
    refs["grant_missing"] = "987654"
    shown = _ok(world.api("holder_a", "POST", f"/api/wallet/licenses/{refs['license_a']}/present",
                          json={"fields": [], "ttl_seconds": 3600}))
    refs["presentation_a"] = shown["token"]
    birth = next(x for x in theirs if x["issuer"]["code"] == HEALTH)
    for action in ("suspend", "reinstate", "revoke", "cancel", "renew", "change"):
        fresh = _ok(world.api("clerk_x", "POST", "/api/licenses", json={
            "type_code": birth["license_type"]["code"], "holder_number": LI[1], "holder_name": LI[0],
            "data": birth["data"]}))
        refs[f"license_b_{action}"] = fresh["identifier"]
    _ok(world.api("clerk_x", "POST", f"/api/licenses/{refs['license_b_reinstate']}/suspend", json={"reason": "x"}))
    for key in ("app_a", "app_a_done"):
        done = _ok(world.api("holder_a", "POST", "/api/applications", json={
            "item": BIRTH_REGISTRATION, "commitments": ["children"],
            "selections": {"marriage": refs["license_a"]},
            "form": {"birth_form": {"applicant": ZHANG[0]}}}))
        refs[key] = done["serial"]
        refs[key + "_code"] = done["query_code"]
    _ok(world.api("approver_x", "POST", f"/api/applications/{refs['app_a_done']}/review",
                  json={"decision": "approve"}))
    refs["app_missing"] = _missing_serial(refs["app_a"])
    refs["org"] = ORG_CODE
    refs["number_a"] = ZHANG[1]
    refs["number_b"] = LI[1]
    refs["birth_type"] = birth["license_type"]["code"]
    refs["dept_x"] = HEALTH
    refs["dept_y"] = CIVIL
    refs["csrf"] = CSRF


def _missing_identifier(identifier: str) -> str:
    """A well-formed identifier (valid check character) of the same type and issuer that names no license."""
    parts = license_id.parse(identifier)
    return license_id.make(parts.type_code, parts.issuer_code, "209900009999", parts.version)


def _missing_serial(serial: str) -> str:
    return serial[:-4] + "9999"


def relaxed(settings: Settings) -> Settings:
    """``settings`` with the login lockout and the rate limits out of the way, for tests that log in a lot
    from one address and probe wrong passwords on purpose (lockout has its own tests in tests/idp, the rate
    limits in test_abuse_limits.py)."""
    return settings.model_copy(update={
        "login_max_failures": 10_000,
        "rate_limit_verify_per_minute": 0,
        "rate_limit_status_per_minute": 0,
        "rate_limit_login_per_minute": 0,
        "rate_limit_create_per_minute": 0,
        "device_free_attempts": 10_000,
        "register_daily_per_number": 10_000,
    })


@pytest.fixture
def world(app: Any) -> Iterator[World]:
    """The app with the matrix world seeded (real idp tokens for every role)."""
    with TestClient(app) as client:
        yield build_world(app, client)


class WorldTools:
    """Builders for tests that set up their own world (test modules cannot import conftest)."""

    relaxed = staticmethod(relaxed)
    build_world = staticmethod(build_world)
    hall_login = staticmethod(hall_login)
    rp_code_flow = staticmethod(rp_code_flow)


@pytest.fixture
def world_tools() -> type[WorldTools]:
    """The world builders of this package."""
    return WorldTools
