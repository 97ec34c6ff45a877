"""Company agents (经办人, issue 14 item 4), through the account centre's pages and real tokens from real flows:
张三, legal representative of 示例科技有限公司, authorises 李四 with ``wallet:read`` until a date; 李四 signs in
for the company and reads its wallet; 张三 withdraws 李四, and at once 李四's refresh is refused, the access
token is dead at the wallet API, and no new code is issued under the old login. An authorisation that ends by
its date stops the same way, and tokens never outlive it. Bad input and strangers change nothing."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core.clock import CHINA_TZ, utcnow
from core.runtime import runtime_of
from idp.parties import service as party_service
from idp.parties.models import Delegation
from idp.web.pages import CSRF_COOKIE as IDP_CSRF
from onenumber import seed as platform_seed
from storage.deps import BLOB_STORE
from tests.helpers.idp_helpers import LI, ZHANG, csrf_of, hidden, pkce

ORG = ("91110000600037341L", "示例科技有限公司")
APP = ("demo-app", "http://127.0.0.1:3000/app-cb")
SCOPE = "openid profile offline_access wallet:read"


@pytest.fixture
def seeded(app: Any) -> Any:
    with runtime_of(app).sessionmaker() as session:
        platform_seed.run(session=session, settings=runtime_of(app).settings, blob_store=runtime_of(app).get(BLOB_STORE))
    return app


def _drive(browser: TestClient, response: Any, *, number: str, password: str, act_for: bool = False) -> Any:
    """Answer the idp's pages until a redirect leaves them (to the app, or to a page of the account centre)."""
    for _ in range(12):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if location.startswith(APP[1]) or urlparse(location).path.startswith("/account"):
                return response
            response = browser.get(location, follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:500]
        page = response.text
        form = {"csrf": csrf_of(page), "next": hidden(page, "next")}
        if 'action="/login"' in page:
            response = browser.post("/login", data={**form, "number": number, "password": password},
                                    follow_redirects=False)
        elif 'action="/login/select"' in page:
            options = re.findall(r'name="delegation" value="(\d+)"', page)
            response = browser.post("/login/select", data={**form, "delegation": options[0] if act_for else ""},
                                    follow_redirects=False)
        elif 'action="/consent"' in page:
            response = browser.post("/consent", data={**form, "decision": "allow"}, follow_redirects=False)
        else:
            raise AssertionError(f"unexpected page: {page[:500]}")
    raise AssertionError("the flow did not finish")


def _authorize(browser: TestClient, *, number: str, password: str, act_for: bool) -> Any:
    verifier, challenge = pkce()
    query = urlencode({"response_type": "code", "client_id": APP[0], "redirect_uri": APP[1], "scope": SCOPE,
                       "state": "st", "nonce": "nn", "code_challenge": challenge, "code_challenge_method": "S256"})
    done = _drive(browser, browser.get("/authorize?" + query, follow_redirects=False), number=number,
                  password=password, act_for=act_for)
    return done, verifier


def _tokens(browser: TestClient, *, number: str, password: str, act_for: bool) -> dict[str, Any]:
    done, verifier = _authorize(browser, number=number, password=password, act_for=act_for)
    code = parse_qs(urlparse(done.headers["location"]).query)["code"][0]
    tokens = browser.post("/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": APP[1],
                                          "client_id": APP[0], "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return dict(tokens.json())


def _claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _representative(app: Any) -> TestClient:
    browser = TestClient(app)
    _drive(browser, browser.get("/login?next=/account/agents", follow_redirects=False), number=ZHANG[0],
           password=ZHANG[1])
    return browser


def _authorise(browser: TestClient, **fields: Any) -> Any:
    page = browser.get("/account/agents")
    assert page.status_code == 200, page.text[:300]
    data = {"csrf": csrf_of(page.text), "credit_code": ORG[0], "agent_number": LI[0], "scopes": ["wallet:read"],
            "valid_until": (datetime.now(CHINA_TZ).date() + timedelta(days=30)).isoformat(), **fields}
    return browser.post("/account/agents", data=data, follow_redirects=False)


def _delegations(app: Any) -> int:
    with runtime_of(app).sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(Delegation).where(Delegation.role == "agent")) or 0)


def _refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                       "client_id": APP[0]})


def test_an_authorised_agent_acts_for_the_company_until_withdrawn(seeded: Any) -> None:
    rep = _representative(seeded)
    added = _authorise(rep)
    assert added.status_code == 303 and added.headers["location"].endswith("saved=added"), added.text[:300]
    page = rep.get("/account/agents").text
    assert "李四" in page and "查看企业证照" in page and "有效" in page and LI[0] not in page  # number masked
    # 李四 signs in for the company through the real flow and reads the company's wallet
    agent = TestClient(seeded)
    tokens = _tokens(agent, number=LI[0], password=LI[1], act_for=True)
    claims = _claims(tokens["access_token"])
    assert claims["act_for"]["credit_code"] == ORG[0] and claims["act_for"]["scopes"] == ["wallet:read"]
    assert claims["exp"] <= claims["act_for"]["until"]
    id_claims = _claims(tokens["id_token"])
    assert "delegation_id" not in id_claims.get("act_for", {}) and "hid" not in id_claims.get("act_for", {})
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert agent.get("/api/wallet/licenses", headers=bearer).status_code == 200
    refreshed = _refresh(agent, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    # 张三 withdraws 李四: every door closes at once
    page = rep.get("/account/agents")
    delegation = re.search(r'name="delegation_id" value="(\d+)"', page.text)
    assert delegation, page.text[:500]
    gone = rep.post("/account/agents/withdraw", data={"csrf": csrf_of(page.text), "credit_code": ORG[0],
                                                      "delegation_id": delegation.group(1)}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].endswith("saved=withdrawn")
    assert "已结束" in rep.get("/account/agents").text
    refused = _refresh(agent, refreshed.json()["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text
    fresh_bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert agent.get("/api/wallet/licenses", headers=fresh_bearer).status_code == 401
    again, _ = _authorize(agent, number=LI[0], password=LI[1], act_for=True)  # signed in anew: no company offered
    assert "error" not in parse_qs(urlparse(again.headers["location"]).query)
    # the withdrawal is in the representative's work log without any ID number
    with runtime_of(seeded).sessionmaker() as session:
        from core.worklog.models import WorkLogEntry

        actions = session.scalars(select(WorkLogEntry.action).where(WorkLogEntry.action.like("delegation.%"))).all()
    assert sorted(actions) == ["delegation.authorise", "delegation.withdraw"]


def test_an_authorisation_that_ended_by_its_date_issues_nothing_more(seeded: Any) -> None:
    rep = _representative(seeded)
    assert _authorise(rep).status_code == 303
    agent = TestClient(seeded)
    tokens = _tokens(agent, number=LI[0], password=LI[1], act_for=True)
    with runtime_of(seeded).sessionmaker() as session:  # its date passes (as the clock would)
        row = session.scalars(select(Delegation).where(Delegation.role == "agent")).one()
        row.valid_until = utcnow() - timedelta(seconds=1)
        session.commit()
    refused = _refresh(agent, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text
    # and /authorize on the live login session refuses to issue a code for the company
    done, _ = _authorize(agent, number=LI[0], password=LI[1], act_for=True)
    assert parse_qs(urlparse(done.headers["location"]).query)["error"] == ["access_denied"]


def test_tokens_never_outlive_the_authorisation(seeded: Any) -> None:
    with runtime_of(seeded).sessionmaker() as session:
        settings = runtime_of(seeded).settings
        org = party_service.get_organization(session=session, credit_code=ORG[0])
        li = party_service.get_by_number(session=session, settings=settings, number=LI[0])
        assert org is not None and li is not None
        party_service.delegate(session=session, organization=org, person=li, role="agent", scopes=["wallet:read"],
                               valid_until=utcnow() + timedelta(seconds=120))
        session.commit()
    tokens = _tokens(TestClient(seeded), number=LI[0], password=LI[1], act_for=True)
    claims = _claims(tokens["access_token"])
    assert claims["exp"] - claims["iat"] <= 121 < runtime_of(seeded).settings.access_token_ttl
    assert tokens["expires_in"] == claims["exp"] - claims["iat"]


@pytest.mark.parametrize(
    ("fields", "wording"),
    [
        ({"agent_number": "110101199003070038"}, "实名认证"),  # no such account
        ({"agent_number": ZHANG[0]}, "实名认证"),  # the representative themself
        ({"scopes": []}, "授权范围"),
        ({"scopes": ["wallet:read", "license:issue"]}, "授权范围"),
        ({"valid_until": "2020-01-01"}, "截止日期"),
        ({"valid_until": (datetime.now(CHINA_TZ).date() + timedelta(days=4 * 366)).isoformat()}, "截止日期"),
        ({"valid_until": "明天"}, "截止日期"),
        ({"credit_code": "91110000600037342X"}, "法定代表人"),  # not a company 张三 represents
    ],
)
def test_bad_authorisations_are_refused_and_change_nothing(seeded: Any, fields: dict[str, Any], wording: str) -> None:
    rep = _representative(seeded)
    refused = _authorise(rep, **fields)
    assert 400 <= refused.status_code < 500 and refused.headers["content-type"].startswith("text/html")
    alert = re.search(r'id="agents-error">([^<]*)<', refused.text)
    assert alert and wording in alert.group(1), (fields, alert)
    assert _delegations(seeded) == 0


def test_only_the_representative_manages_agents(seeded: Any) -> None:
    rep = _representative(seeded)
    assert _authorise(rep).status_code == 303
    stranger = TestClient(seeded)  # 李四 himself, now an agent: not the company's representative
    _drive(stranger, stranger.get("/login?next=/account/agents", follow_redirects=False), number=LI[0],
           password=LI[1])
    page = stranger.get("/account/agents")
    assert page.status_code == 200 and 'id="agents-none"' in page.text
    with runtime_of(seeded).sessionmaker() as session:
        (row_id,) = session.scalars(select(Delegation.id).where(Delegation.role == "agent")).all()
    token = stranger.cookies.get(IDP_CSRF)  # the page has no form for him: the token his browser holds
    tried = stranger.post("/account/agents/withdraw", data={"csrf": token, "credit_code": ORG[0],
                                                            "delegation_id": str(row_id)}, follow_redirects=False)
    assert tried.status_code == 403
    forged = stranger.post("/account/agents", data={"csrf": token, "credit_code": ORG[0],
                                                    "agent_number": LI[0], "scopes": ["wallet:share"],
                                                    "valid_until": "2027-01-01"}, follow_redirects=False)
    assert forged.status_code == 403
    with runtime_of(seeded).sessionmaker() as session:
        row = session.get(Delegation, row_id)
        assert row is not None and row.revoked_at is None and row.scopes == ["wallet:read"]
    anonymous = TestClient(seeded).get("/account/agents", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
