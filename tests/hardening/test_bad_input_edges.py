"""Ordinary bad input never gets a 500 (issue 15): a REAL ``onenumber serve`` over HTTP is sent non-ASCII CSRF
tokens and cookies, a non-ASCII blob ``sig``, non-ASCII and over-long progress queries, naive, year-9999 and
year-0 times in every API field that takes a date or a time, and ``"²"`` (a Unicode digit ``int()`` refuses)
in numeric fields and identifiers.

The API answers 4xx in the published shape ``{"error", "detail", "field"}`` naming the field; pages answer a
human 4xx page; a cookie that is not ours counts as no cookie (the answer a browser without it gets). Never
5xx, never ``text/plain``; and the server logs no traceback for any of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.helpers.ops_helpers import (
    Instance,
    bearer,
    birth_registration,
    business_license,
    department_token,
    drop_database,
    free_port,
    marriage_of,
    new_database,
    person_token,
    stop,
)

pytestmark = pytest.mark.slow
MASTER_KEY = "bad-input-master-key-0123456789abcdef012345"
WANG = ("440882198503293017", "Wangwu-2026")  # admin, counter clerk and approver of the approval bureau
NO_LIMITS = {  # this module sends many requests from one address on purpose; limits have their own tests
    "ONENUMBER_RATE_LIMIT_VERIFY_PER_MINUTE": "0",
    "ONENUMBER_RATE_LIMIT_STATUS_PER_MINUTE": "0",
    "ONENUMBER_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
    "ONENUMBER_RATE_LIMIT_CREATE_PER_MINUTE": "0",
}
SUP = "²"  # "²".isdigit() is True, int("²") raises


@dataclass
class Server:
    """The served instance and what the checks need from its seeded data."""

    url: str
    log: Path
    citizen: dict[str, str]
    admin: dict[str, str]
    department: dict[str, str]
    marriage: str
    business_license: str
    serial: str
    query_code: str
    blob_key: str

    def client(self, **kw: Any) -> httpx.Client:
        """A fresh connection (a new browser: empty cookie jar)."""
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False, **kw)

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request on a fresh connection."""
        with self.client() as c:
            return c.request(method, path, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Migrate, seed and serve one instance for the whole module."""
    tmp = tmp_path_factory.mktemp("bad_input")
    # the port is chosen before seeding: the hall client is registered with the issuer's callback URL
    instance = Instance(database_url=new_database(tmp), blob_dir=tmp / "blobs", secret_key=MASTER_KEY,
                        port=free_port())
    instance.cli("db", "upgrade")
    instance.cli("seed")
    log = tmp / "server.log"
    proc = instance.serve(log, **NO_LIMITS)
    try:
        base = instance.url
        citizen = bearer(person_token(base))
        admin = bearer(person_token(base, *WANG))
        department = bearer(department_token(base))
        marriage = marriage_of(base, citizen["Authorization"].split()[1])
        issued = httpx.post(base + "/api/licenses", json=business_license(1), headers=department, timeout=30)
        assert issued.status_code == 201, issued.text
        submitted = httpx.post(base + "/api/applications", json=birth_registration(marriage), headers=citizen,
                               timeout=30)
        assert submitted.status_code == 201, submitted.text
        blob_key = next(p.name for p in (tmp / "blobs").rglob("*") if p.is_file() and len(p.name) == 64)
        yield Server(url=base, log=log, citizen=citizen, admin=admin, department=department, marriage=marriage,
                     business_license=issued.json()["identifier"], serial=submitted.json()["serial"],
                     query_code=submitted.json()["query_code"], blob_key=blob_key)
    finally:
        stop(proc)
        drop_database(instance.database_url)


def api_error(response: httpx.Response, field: str | None = None) -> dict[str, Any]:
    """``response`` is a 4xx in the platform's JSON error shape (naming ``field`` when given)."""
    where = f"{response.request.method} {response.request.url}"
    assert 400 <= response.status_code < 500, (where, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), (where, response.headers)
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"] and "detail" in body, (where, body)
    if field is not None:
        assert body.get("field") == field, (where, body)
    return dict(body)


def page_error(response: httpx.Response, status: int | None = None) -> str:
    """``response`` is a human 4xx page (HTML, never JSON or a trace)."""
    where = f"{response.request.method} {response.request.url}"
    assert 400 <= response.status_code < 500, (where, response.status_code, response.text[:300])
    assert status is None or response.status_code == status, (where, response.status_code)
    assert response.headers["content-type"].startswith("text/html"), (where, response.headers)
    assert "<html" in response.text and "Traceback" not in response.text, where
    return response.text


def no_cookie_answer(server: Server, method: str, path: str, cookie: bytes, **kw: Any) -> None:
    """A request with a cookie we did not make gets what the same request without it gets."""
    bare = server.send(method, path, **kw)
    odd = server.send(method, path, headers={"Cookie": cookie}, **kw)
    assert odd.status_code < 500 and bare.status_code < 500, (path, cookie, odd.status_code, odd.text[:300])
    where = [(r.status_code, urlparse(r.headers.get("location", "")).path) for r in (odd, bare)]
    assert where[0] == where[1], (path, cookie, where)
    assert "text/plain" not in odd.headers.get("content-type", "")


# --- CSRF tokens and cookies ----------------------------------------------------------------------------


@pytest.mark.parametrize("path,extra", [
    ("/hall/logout", {}),
    ("/kiosk/start", {}),
    ("/login", {"number": "11010519491231002X", "password": "x"}),
    ("/account/sessions/logout-all", {}),
])
@pytest.mark.parametrize("form_token,cookie_token", [
    ("ü-token", "ascii-token"),  # non-ASCII form field, ASCII cookie
    ("ascii-token", "ü-token"),  # ASCII form field, non-ASCII cookie (raw UTF-8 in the Cookie header)
    ("ü-token", "ü-token"),  # both, equal
    ("令牌", '"\\344\\273\\244"'),  # a quoted cookie whose octal escapes decode to non-ASCII
])
def test_non_ascii_csrf_token_is_a_403_page(server: Server, path: str, extra: dict[str, str], form_token: str,
                                           cookie_token: str) -> None:
    cookie = f"wallet_csrf={cookie_token}; idp_csrf={cookie_token}".encode()
    response = server.send("POST", path, data={"csrf": form_token, **extra}, headers={"Cookie": cookie})
    page_error(response, 403)


@pytest.mark.parametrize("value", ["ü.ü", "x" * 40 + ".ü", '"\\303\\274.abc"', "a\tb.c", "a" * 5000])
def test_cookie_that_is_not_ours_counts_as_none(server: Server, value: str) -> None:
    for name, method, path in (("hall_session", "GET", "/hall/licenses"),
                               ("hall_session", "GET", "/hall/login"),
                               ("kiosk_session", "GET", "/kiosk/licenses"),
                               ("idp_session", "GET", "/account/sessions"),
                               ("idp_session", "GET", "/login/select"),
                               ("wallet_csrf", "GET", "/hall/progress"),
                               ("lang", "GET", "/verify")):
        no_cookie_answer(server, method, path, f"{name}={value}".encode())
    # and on the form posts a session cookie rides along with (the CSRF check still answers)
    for name, path in (("hall_session", "/hall/logout"), ("idp_session", "/login/select"),
                       ("idp_session", "/login/totp")):
        response = server.send("POST", path, data={"csrf": "t"},
                               headers={"Cookie": f"{name}={value}; wallet_csrf=t; idp_csrf=t".encode()})
        assert response.status_code < 500 and "text/plain" not in response.headers.get("content-type", ""), (
            path, response.status_code)


# --- blob links, progress query -------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    {"expires": "9999999999", "sig": "ü"},
    {"expires": "9999999999", "sig": SUP * 64},
    {"expires": SUP, "sig": "0" * 64},
    {"expires": "9" * 5000, "sig": "0" * 64},
    {"expires": "9999999999", "sig": "0" * 5000},
])
def test_blob_link_with_bad_signature_is_a_403(server: Server, query: dict[str, str]) -> None:
    api_error(server.send("GET", f"/blobs/{server.blob_key}", params=query))


def test_progress_query_with_bad_code_or_serial(server: Server) -> None:
    status = "/api/applications/status"
    for code in ("ü" * 8, SUP * 8, "１２３４５６７８", server.query_code + "ü"):
        body = api_error(server.send("GET", status, params={"serial": server.serial, "code": code}), "code")
        assert body["error"] == "application_not_found"
        page_error(server.send("GET", "/hall/progress", params={"serial": server.serial, "code": code}), 404)
    api_error(server.send("GET", status, params={"serial": server.serial, "code": "1" * 65}), "code")
    api_error(server.send("GET", status, params={"serial": "ü" + server.serial, "code": server.query_code}))
    api_error(server.send("GET", status, params={"serial": "9" * 5000, "code": server.query_code}), "serial")
    api_error(server.send("GET", status, params={"serial": server.serial}), "code")  # no code at all
    page_error(server.send("GET", "/hall/progress", params={"serial": "9" * 5000, "code": "1" * 5000}), 404)
    page_error(server.send("GET", "/hall/progress", params={"serial": "办件", "code": "码"}), 404)
    # nothing was broken on the way: the right pair still answers
    ok = server.send("GET", status, params={"serial": server.serial, "code": server.query_code})
    assert ok.status_code == 200 and ok.json()["serial"] == server.serial


# --- dates and times ------------------------------------------------------------------------------------

NAIVE = "2030-01-01T09:00:00"
BAD_TIMES = [NAIVE, "9999-12-31T23:59:59+00:00", "0000-01-01T00:00:00Z", SUP, "2026-0²-01T00:00:00Z"]
BAD_DAYS = ["9999-12-31", "0000-01-01", SUP, "２０２６-０１-０１", "2026-02-30"]


@pytest.mark.parametrize("value", BAD_TIMES)
def test_grant_times(server: Server, value: str) -> None:
    base = {"identifier": server.marriage, "grantee_kind": "department", "grantee": "11110000000137015K",
            "purpose": "household_registration"}
    api_error(server.send("POST", "/api/wallet/grants", headers=server.citizen,
                          json={**base, "valid_until": value}), "valid_until")
    api_error(server.send("POST", "/api/wallet/grants", headers=server.citizen,
                          json={**base, "valid_until": "2026-12-31T00:00:00+08:00", "valid_from": value}),
              "valid_from")
    grants = server.send("GET", "/api/wallet/grants", headers=server.citizen).json()
    assert not any(g.get("purpose") == "办理户籍业务" for g in grants)  # nothing was granted


@pytest.mark.parametrize("value", BAD_DAYS)
def test_license_days(server: Server, value: str) -> None:
    body = business_license(2)
    for field in ("valid_from", "valid_until"):
        api_error(server.send("POST", "/api/licenses", headers=server.department, json={**body, field: value}),
                  field)
        for action in ("renew", "change"):
            api_error(server.send("POST", f"/api/licenses/{server.business_license}/{action}",
                                  headers=server.department, json={field: value, "reason": "x"}), field)
    data = {**body["data"], "established_on": value}
    api_error(server.send("POST", "/api/licenses", headers=server.department, json={**body, "data": data}),
              "data.established_on")
    mine = server.send("GET", f"/api/licenses/{server.business_license}", headers=server.department).json()
    assert mine["version"] == 1 and mine["status"] == "valid"  # neither renewed nor changed


@pytest.mark.parametrize("value", BAD_DAYS)
def test_calendar_days(server: Server, value: str) -> None:
    api_error(server.send("PUT", "/api/calendar", headers=server.admin, json={"day": value, "kind": "holiday"}),
              "day")
    api_error(server.send("GET", "/api/calendar/add", params={"start": value, "days": 3}), "start")


def test_calendar_arithmetic_at_the_edge_of_the_range(server: Server) -> None:
    far = server.send("GET", "/api/calendar/add", params={"start": "2999-12-31", "days": 3650})
    assert far.status_code in (200, 422), far.text  # an answer, never an overflow
    if far.status_code == 422:
        api_error(far)


@pytest.mark.parametrize("value", BAD_TIMES)
def test_appointment_slot_times(server: Server, value: str) -> None:
    api_error(server.send("POST", "/api/centres/HALL-CITY/slots", headers=server.admin,
                          json={"starts": [value], "minutes": 30, "capacity": 1}))
    listed = server.send("GET", "/api/centres/HALL-CITY/slots", params={"start": value})
    api_error(listed, "start")


@pytest.mark.parametrize("value", BAD_DAYS)
def test_application_form_date(server: Server, value: str) -> None:
    body = birth_registration(server.marriage)
    body["form"] = {"birth_form": {"applicant": "张三", "expected_date": value}}
    api_error(server.send("POST", "/api/applications", headers=server.citizen, json=body),
              "form.birth_form.expected_date")


# --- Unicode digits in numbers and identifiers ----------------------------------------------------------


def test_unicode_digits_in_numeric_fields(server: Server) -> None:
    s, c, a = server, server.citizen, server.admin
    api_error(s.send("POST", f"/api/wallet/licenses/{s.marriage}/present", headers=c,
                     json={"fields": [], "ttl_seconds": SUP}), "ttl_seconds")
    api_error(s.send("GET", "/api/wallet/access-log", headers=c, params={"limit": SUP}), "limit")
    api_error(s.send("POST", f"/api/wallet/grants/{SUP}/withdraw", headers=c), "grant_id")
    api_error(s.send("POST", f"/api/applications/{s.serial}/rating", headers=c, json={"score": SUP}), "score")
    api_error(s.send("GET", "/api/calendar/add", params={"start": "2026-05-06", "days": SUP}), "days")
    api_error(s.send("GET", "/api/calendar", params={"year": SUP}), "year")
    api_error(s.send("GET", "/api/centres/HALL-CITY/slots", params={"days": SUP}), "days")
    api_error(s.send("DELETE", f"/api/appointments/{SUP}", headers=c), "appointment_id")
    api_error(s.send("POST", "/api/appointments", headers=c, json={"slot_id": SUP, "item": "WSJK-GG-0001"}),
              "slot_id")
    api_error(s.send("POST", f"/api/complaints/{SUP}", headers=a, json={"status": "closed"}), "complaint_id")
    api_error(s.send("GET", "/api/departments/11110000000137015K/queue", headers=a, params={"limit": SUP}),
              "limit")
    body = {**birth_registration(s.marriage), "appointment_id": SUP}
    api_error(s.send("POST", "/api/applications", headers=c, json=body), "appointment_id")
    api_error(s.send("POST", "/api/centres/HALL-CITY/slots", headers=a,
                     json={"starts": ["2026-06-01T09:00:00+08:00"], "minutes": SUP, "capacity": 1}), "minutes")


@pytest.mark.parametrize("method,path,raw,who", [
    # a lone surrogate: valid JSON, a str in Python, not UTF-8 (the driver cannot store it, a reply cannot echo it)
    ("POST", "/api/appointments", '{"slot_id": 1, "item": "\\ud800"}', "citizen"),
    ("POST", "/api/wallet/grants", '{"identifier": "\\udfff", "grantee_kind": "department", "grantee": "x", '
                                   '"purpose": "x", "valid_until": "2026-12-31T00:00:00+08:00"}', "citizen"),
    ("POST", "/api/wallet/grants", '{"grantee_kind": "\\ud83d", "grantee": "x", "purpose": "x"}', "citizen"),
    ("GET", "/api/applications/status?serial=%ED%A0%80&code=1", "", "citizen"),
    # 1e999 reads as infinity; NaN is not JSON but Python's reader takes it
    ("POST", "/api/wallet/licenses/{marriage}/present", '{"fields": [], "ttl_seconds": 1e999}', "citizen"),
    ("POST", "/api/applications/{serial}/rating", '{"score": NaN}', "citizen"),
    ("PUT", "/api/calendar", '{"day": 1e999, "kind": "holiday"}', "admin"),
])
def test_text_json_cannot_carry(server: Server, method: str, path: str, raw: str, who: str) -> None:
    headers = {**getattr(server, who), "Content-Type": "application/json"}
    url = path.format(marriage=server.marriage, serial=server.serial)
    api_error(server.send(method, url, content=raw.encode(), headers=headers))


def test_unicode_digits_in_identifiers(server: Server) -> None:
    s, c, d = server, server.citizen, server.department
    sup_id = s.marriage[:-3] + SUP + s.marriage[-2:]
    api_error(s.send("GET", f"/api/wallet/licenses/{sup_id}", headers=c))
    api_error(s.send("GET", f"/api/licenses/{sup_id}/status"))
    api_error(s.send("GET", f"/api/applications/{s.serial[:-1]}{SUP}", headers=c))
    api_error(s.send("POST", "/api/verify/license", headers=d, json={"identifier": sup_id, "purpose": "x"}))
    for number in ("11010519491231002" + SUP, "１１０１０５１９４９１２３１００２Ｘ", SUP * 18):
        body = {**business_license(3), "holder_number": number}
        api_error(s.send("POST", "/api/licenses", headers=d, json=body), "holder_number")
    api_error(s.send("POST", "/api/licenses", headers=d, json={**business_license(4), "type_code": SUP * 21}))
    # OAuth: max_age must be ASCII digits (an OAuth error, redirected to the client as RFC 6749 §4.1.2.1 says)
    authorize = s.send("GET", "/authorize", params={
        "response_type": "code", "client_id": "demo-rp", "redirect_uri": "http://127.0.0.1:3000/cb",
        "scope": "openid", "state": "s", "code_challenge": "x" * 43, "code_challenge_method": "S256",
        "max_age": SUP})
    assert authorize.status_code in (302, 303, 400), authorize.status_code
    if authorize.status_code != 400:
        assert "error=invalid_request" in authorize.headers["location"]
    ticket = s.send("GET", "/authorize", params={"client_id": "demo-rp", "login_ticket": "a.ü"})
    assert ticket.status_code < 500, ticket.text[:300]


# --- the same on the pages (forms of a signed-in hall browser, the counter console) ----------------------


def page_answer(response: httpx.Response) -> None:
    """A page that refuses or re-asks: HTML below 500 (a 303 back to the form is fine too)."""
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code < 500, (where, response.status_code, response.text[:300])
    if response.status_code not in (302, 303):
        assert response.headers["content-type"].startswith("text/html"), (where, response.headers)


def test_unicode_digits_and_bad_dates_in_page_forms(server: Server, world_tools: Any) -> None:
    for number, password, path in (("11010519491231002X", "Zhangsan-2026", "/hall/licenses"),
                                   (*WANG, "/console")):
        with server.client() as browser:
            world_tools.hall_login(browser, number, password)
            page = browser.get(path)
            assert page.status_code == 200, page.text[:300]
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf, page.text[:300]
            token = csrf.group(1)
            if path == "/hall/licenses":
                lic = f"/hall/licenses/{server.marriage}"
                for ttl in (SUP, "9" * 5000, "３００"):
                    page_error(browser.post(f"{lic}/present", data={"csrf": token, "ttl": ttl}))
                for days in (SUP, "9" * 30, "１０"):
                    page_error(browser.post(f"{lic}/grant", data={"csrf": token, "department": "11110000000137015K",
                                                                  "purpose": "social_security", "days": days}))
                page_error(browser.post(f"/hall/applications/{server.serial}/rate",
                                        data={"csrf": token, "score": SUP}))
                for value in BAD_DAYS:
                    answer = browser.post("/hall/apply/WSJK-GG-0001", data={
                        "csrf": token, "commitments": "children", "sel__marriage": server.marriage,
                        "form__birth_form__applicant": "张三", "form__birth_form__expected_date": value})
                    page_error(answer)  # the form again, saying what is wrong (nothing was submitted)
                page_error(browser.get(f"/hall/applications/{server.serial[:-1]}{SUP}"))
                page_error(browser.get(f"{lic[:-2]}{SUP}V"))
            else:
                for number_typed in ("11010519491231002" + SUP, "１１０１０５１９４９１２３１００２Ｘ", SUP * 18):
                    page_answer(browser.post("/console/person", data={"csrf": token, "number": number_typed,
                                                                      "name": "张三", "confirmed": "yes"}))
                page_answer(browser.get(f"/console/applications/{server.serial[:-1]}{SUP}"))


def test_admin_validity_that_is_not_a_plain_number_is_refused_on_the_page(server: Server, world_tools: Any) -> None:
    """``years=--5`` passed ``lstrip("-")`` and ``10²⁰`` was saved, after which every issuance of the type failed:
    the admin page now answers 4xx with the form again, naming the validity, and nothing is saved; a plain number saves."""
    with server.client() as browser:
        world_tools.hall_login(browser, *WANG)
        page = browser.get("/admin/types/new")
        assert page.status_code == 200, page.text[:300]
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        base = {
            "csrf": token.group(1), "name": "试点许可证", "name_en": "Pilot permit", "issuer_code": "11110000000137015K",
            "holder_kind": "person", "reuse_class": "while_valid", "description": "",
            "field_schema": '{"type": "object", "properties": {"note": {"type": "string"}}}',
        }
        for n, (years, months) in enumerate((("--5", ""), (SUP, ""), ("10²⁰", ""), ("1", "--2"), ("1", "1" + SUP))):
            code = f"PILOTBAD{n}"
            answer = browser.post("/admin/types", data={**base, "type_code": code, "years": years, "months": months})
            text = page_error(answer)
            alert = re.search(r'id="admin-error">([^<]*)<', text)
            assert alert and "有效期" in alert.group(1), (years, months, alert)  # names the validity, in Chinese
            assert code not in browser.get("/admin").text, (years, months)  # nothing saved
        saved = browser.post("/admin/types", data={**base, "type_code": "PILOTOK", "years": "5", "months": ""})
        assert saved.status_code in (302, 303), saved.text[:300]
        assert "PILOTOK" in browser.get("/admin").text


def test_server_logged_no_traceback(server: Server) -> None:
    """Last in the module: none of the above reached the last-resort handler or uvicorn's error log."""
    text = server.log.read_text(errors="replace")
    assert "Traceback" not in text and "unhandled" not in text, text[-3000:]
