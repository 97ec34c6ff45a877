"""A form fuzzer for every HTML form (issue 15, item 8): walk the pages of the hall (/hall…), the counter
console (/console…), the admin pages (/admin…), the kiosk, the verify page and the idp pages (/login,
/login/select, consent, /device, /register, /password-reset, /account/sessions …) in the browser of the role
that sees them, parse each page's ``<form>`` elements (stdlib ``html.parser``) and submit each form:

* twice with a wrong CSRF token (a plain wrong one and a non-ASCII one with a NUL), the rest as the page had it;
* ``EXAMPLES`` times with Hypothesis-generated values per field: empty, very long, non-ASCII digits, control
  characters, NUL, bytes that are no UTF-8, emoji, SQL/HTML/template injection, ID numbers, huge numbers,
  wrong dates, open redirects, fields left out or sent twice, odd files — always with the form's own CSRF
  token (taken again from its page whenever a response moved the browser on: a login, a renewed cookie);
* last, once with the values a person would send (the page's own, samples for empty fields): a login, a
  consent or a withdrawal is single-use, and the answer shows the forms behind it (console person → prepare →
  submit, login → select → consent …), which are fuzzed in turn.

Each role is crawled twice, so forms that the first round's submissions brought up (a supplement request,
a booking) get their turn. Checks per response (and per page a redirect leads to): no 5xx and never a
``text/plain`` error page. Failures are collected, not raised, so one run names every distinct one; ``KNOWN``
lists the reported ones. Forms that end the session (logout) go last. Bounded by ``EXAMPLES``, ``MAX_FORMS``,
``MAX_PAGES_PER_ROLE`` and ``BUDGET_S``; ``test_the_form_fuzzer_finds_…`` checks the fuzzer on a toy app.
"""

from __future__ import annotations

import secrets
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.runtime import runtime_of
from identifiers.iso7064 import mod_11_2_check
from tests.helpers.fuzz_report import exception_name, record, snippet

EXAMPLES = 10
MAX_FORMS = 90
ROUNDS = 2
MAX_PAGES_PER_ROLE = 20
PAGES_PER_TEMPLATE = 3
BUDGET_S = 60.0
URL_VALUE_MAX = 1_000
BIRTH_REGISTRATION = "WSJK-GG-0001"
DEMO_RP_AUTHORIZE = ("/authorize?client_id=demo-rp&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcb"
                     "&scope=openid+profile+id_number&state=fuzz&nonce=fuzz"
                     "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")

# Distinct failures already reported (issue 15 item 8), by "METHOD /action/template exception" (or
# "text/plain STATUS"): the reason. Remove an entry when it is fixed; any failure not listed here fails the test.
KNOWN: dict[str, str] = {}

# Where each browser starts; it then follows the links of the pages it sees (``PREFIXES``).
# "visitor" is an anonymous browser that goes through the idp login (and consent) of the demo-rp client.
SEEDS: dict[str, list[str]] = {
    "anonymous": ["/register", "/password-reset", "/verify", "/kiosk", "/device", "/hall"],
    "visitor": [DEMO_RP_AUTHORIZE],
    "holder_a": ["/hall", "/hall/licenses", "/hall/grants", "/hall/services", "/hall/applications",
                 f"/hall/apply/{BIRTH_REGISTRATION}", "/account/sessions", "/verify", "/device"],
    "holder_b": ["/hall", "/hall/licenses", "/hall/applications"],
    "agent": ["/hall", "/hall/licenses", "/hall/services"],
    "clerk_x": ["/console"],
    "approver_x": ["/console"],
    "admin": ["/admin", "/admin/departments/new", "/admin/types/new", "/admin/items/new"],
}
PREFIXES = ("/hall", "/console", "/admin", "/account", "/verify", "/kiosk", "/device", "/register",
            "/password-reset", "/login", "/consent", "/logout", "/services/")
SKIP_SUFFIXES = (".pdf", ".png", ".der", ".pem", ".ico", ".css", ".js")
ENDS_SESSION = ("logout",)  # forms whose action contains this go last

WRONG_CSRF = ["wrong-csrf-token-0000000000", "令牌²\x00é"]
WEIRD = [
    "", " ", "²", "١٢٣", "１２３４５６", "Ⅻ", "0", "-1", "007", "1.5", "1e309", "NaN", "Infinity", "0x1F",
    "99999999999999999999999999999999", "-2147483649", "2147483648", "18446744073709551616",
    "\x00", "a\x00b", "\x01\x02\x1b[31m\x7f", "\r\n\r\n", "\t", "\u202eabc", "\ufeff", "\u200b",
    "😀", "👨\u200d👩\u200d👧", "𠮷野家", "Ａ", "\udcff\udcfe", "a\udced\udca0\udc80b",  # the last two: bytes that are no UTF-8
    "' OR '1'='1", "1; DROP TABLE parties;--", "\" OR \"\"=\"", '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>", "{{7*7}}", "{% raw %}", "${7*7}", "%s%s%n", "../../../etc/passwd",
    "http://evil.example/", "//evil.example", "javascript:alert(1)",
    "2026-02-30", "0000-00-00", "9999-12-31", "2026-13-01", "1900-01-01T25:61", "31/12/2026", "yesterday",
    "11010519491231002X", "11010519491231002x", "110105194912310021", "11010519491231002", "１１０１０５１９４９１２３１００２Ｘ",
    "91110000600037341L", "000000000000000000", "true", "null", "[]", "{}",
]
LONG = ["x" * 5_000, "汉" * 20_000, "9" * 1_000, "<b>" * 3_000]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
FILES = [("", b"", "application/octet-stream"), ("a.pdf", PDF, "application/pdf"), ("a.png", PNG, "image/png"),
         ("empty.pdf", b"", "application/pdf"), ("x.pdf", b"\x00\xff" * 300, "application/pdf"),
         ("../../证件😀.pdf", PDF, "application/pdf"), ("a.exe", b"MZ" + b"\x90" * 64, "application/x-msdownload")]
OMIT = object()  # a field left out of the submission
# Samples for one form where a field name means something else than elsewhere.
ACTION_SAMPLES = {"/admin/items": {"code": "FUZZ-GG-0001"}, "/admin/types": {"type_code": "11110000000137015K901"}}
BY_TYPE = {"date": "2026-09-01", "number": "1", "tel": "13800000002", "email": "fuzz@example.cn",
           "datetime-local": "2026-09-01T09:30", "password": "Fuzz-2026-password"}


@dataclass
class Field:
    """One named control of a form."""

    name: str
    tag: str  # input, select, textarea, button
    type: str
    value: str
    checked: bool = False
    options: list[str] = field(default_factory=list)
    accept: str = ""  # of a file input


@dataclass
class Form:
    """A form as a page shows it."""

    role: str
    page: str
    method: str
    action: str
    multipart: bool
    page_is_get: bool = True  # the page can be fetched again (not the answer to a POST)
    fields: list[Field] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What makes two forms the same form (the same role, target and controls; ids left out)."""
        names = ",".join(sorted({f.name for f in self.fields}))
        page = "" if any(word in self.action for word in ENDS_SESSION) else f" on {template(self.page)}"
        return f"{self.role} {self.method} {template(self.action)} [{names}]{page}"


def template(url: str) -> str:
    """The path of ``url`` with id-like segments (any with a digit) replaced by ``*``."""
    path = urlsplit(url).path
    return "/".join("*" if any(c.isdigit() for c in part) else part for part in path.split("/"))


class PageParser(HTMLParser):
    """The forms and the links of one HTML page."""

    def __init__(self, role: str, page: str, page_is_get: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.role, self.page, self.page_is_get = role, page, page_is_get
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list[str] | None = None
        self._option_selected = False
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect forms, their controls and links."""
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            self._form = Form(role=self.role, page=self.page, method=(a.get("method") or "get").upper(),
                              action=urljoin(self.page, a.get("action") or self.page).split("#")[0],
                              multipart="multipart" in a.get("enctype", ""), page_is_get=self.page_is_get)
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._option_start(a)
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "reset"):
                if kind == "submit":
                    self._form.fields.append(Field(a["name"], "button", kind, a.get("value", "")))
                return
            self._form.fields.append(Field(a["name"], tag, kind, a.get("value", ""), checked="checked" in a,
                                           accept=a.get("accept", "")))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.fields.append(Field(a["name"], tag, "submit", a.get("value", "")))
        elif tag == "select":
            self._select = Field(a["name"], tag, "select", "")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(a["name"], tag, "textarea", "")
            self._form.fields.append(self._textarea)

    def _option_start(self, a: dict[str, str]) -> None:
        assert self._select is not None
        self._option_selected = "selected" in a
        if "value" in a:
            self._select.options.append(a["value"])
            if self._option_selected:
                self._select.value = a["value"]
        else:
            self._option = []

    def handle_data(self, data: str) -> None:
        """Text of an option without a value, or of a textarea."""
        if self._option is not None:
            self._option.append(data)
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        """Close the open form, select, option or textarea."""
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if not self._select.value and self._select.options:
                self._select.value = self._select.options[0]
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            text = "".join(self._option).strip()
            self._select.options.append(text)
            if self._option_selected:
                self._select.value = text
            self._option = None


@dataclass
class Tally:
    """What the run did and what failed."""

    pages: int = 0
    forms: int = 0
    submissions: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # failure key → first reproduction
    seen_pages: Counter[str] = field(default_factory=Counter)
    seen_forms: set[str] = field(default_factory=set)


@dataclass
class Current:
    """The form being fuzzed as its page last showed it, and whether the browser has moved on since."""

    form: Form
    stale: bool = False


class FormFuzzer:
    """Crawls the pages of each role, fuzzes each form it finds and records what fails."""

    def __init__(self, world: Any, deadline: float, *, seeds: dict[str, list[str]], user_code: str = "",
                 fresh_number: str = "") -> None:
        self.world = world
        self.seeds = seeds
        self.user_code, self.fresh_number = user_code, fresh_number
        self.deadline = deadline
        self.tally = Tally()
        self.queue: deque[Form] = deque()
        self.last: list[Form] = []  # the forms that end the session
        self.moved = False  # a response since the last check redirected or set a cookie

    # --- requests -----------------------------------------------------------------------------------
    def request(self, role: str, method: str, url: str, what: str, **kw: Any) -> Any | None:
        """One request through ``role``'s browser; a failure is recorded under ``what`` (None on an exception)."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            response = self.world.page(role, method, target, **kw)
        except Exception:  # an exception the app let escape: recorded and reported, never hidden
            self.tally.server_errors += 1
            trace = traceback.format_exc()
            self._fail(f"{method} {template(url)} {exception_name(trace)}", f"{what}\n{snippet(trace)}")
            return None
        self.tally.statuses[response.status_code] += 1
        if response.status_code in (301, 302, 303, 307) or "set-cookie" in response.headers:
            self.moved = True
        kind = response.headers.get("content-type", "")
        if response.status_code >= 500:
            self.tally.server_errors += 1
            self._fail(f"{method} {template(url)} {response.status_code}", f"{what}\n{response.text[:600]}")
        elif response.status_code >= 400 and kind.startswith("text/plain"):
            self._fail(f"{method} {template(url)} text/plain {response.status_code}",
                       f"{what}\n{response.text[:600]}")
        return response

    def _fail(self, key: str, repro: str) -> None:
        self.tally.failures.setdefault(key, repro)

    def follow(self, role: str, response: Any, what: str) -> Any | None:
        """The page a redirect leads to, when it stays in the app (checked like any response)."""
        for _ in range(6):
            if response is None or response.status_code not in (301, 302, 303, 307):
                return response
            location = urljoin("http://testserver/", response.headers.get("location", ""))
            if urlsplit(location).netloc != "testserver":
                return None
            response = self.request(role, "GET", location, f"{what}\n→ GET {location}")
        return response

    # --- crawling -----------------------------------------------------------------------------------
    def crawl(self, role: str) -> None:
        """Visit the pages of ``role`` from its seeds, queueing the forms found."""
        pending = deque(self.seeds[role])
        visited: set[str] = set()
        pages = 0
        seeds = {urljoin("http://testserver/", seed) for seed in self.seeds[role]}
        while pending and pages < MAX_PAGES_PER_ROLE:
            url = urljoin("http://testserver/", pending.popleft())
            if url in visited or not (url in seeds or self._crawlable(url)):
                continue
            visited.add(url)
            tpl = template(url)
            if self.tally.seen_pages[f"{role} {tpl}"] >= PAGES_PER_TEMPLATE:
                continue
            self.tally.seen_pages[f"{role} {tpl}"] += 1
            response = self.follow(role, self.request(role, "GET", url, f"as {role}: GET {url}"), f"as {role}: GET {url}")
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            pages += 1
            self.tally.pages += 1
            parser = self.parse(role, response)
            pending.extend(link for link in parser.links if link not in visited)

    def _crawlable(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.netloc == "testserver" and parts.path.startswith(PREFIXES)
                and not parts.path.endswith(SKIP_SUFFIXES) and "logout" not in parts.path)

    def parse(self, role: str, response: Any) -> PageParser:
        """Queue the new forms of a page."""
        parser = PageParser(role, str(response.url), page_is_get=response.request.method == "GET")
        parser.feed(response.text)
        for form in parser.forms:
            if form.key in self.tally.seen_forms or not self._crawlable(form.action.replace("logout", "")):
                continue
            self.tally.seen_forms.add(form.key)
            (self.last if any(word in form.action for word in ENDS_SESSION) else self.queue).append(form)
        return parser

    # --- values -------------------------------------------------------------------------------------
    def samples(self, role: str) -> dict[str, str]:
        """Values a person of ``role`` would type into an empty field, by field name."""
        refs = self.world.refs
        return {
            "number": refs["number_b"], "holder_number": self.world.numbers.get(role, refs["number_a"]),
            "name": "李四", "phone": "13800000002",
            "password": "Fuzz-2026-password", "purpose": "social_security", "days": "30", "reasons": "材料不全",
            "reason": "材料不全", "serial": refs["app_a"], "comment": "很好", "score": "5", "text": "意见内容",
            "credit_code": "91110000600037341L", "code": "123456", "token": refs["presentation_a"],
            "years": "5", "months": "0", "time_limit_days": "20",
            "type_code": "FUZZ-TYPE-1", "field_schema": "{}", "requirements": "[]", "legal_basis": "《示例条例》",
            "item": BIRTH_REGISTRATION, "user_code": self.user_code,
        } | ({"number": self.fresh_number} if role in ("anonymous", "visitor") else {})

    def baseline(self, form: Form) -> dict[str, Any]:
        """The values a person would send: the page's own, a sample for an empty field, every box ticked."""
        values: dict[str, Any] = {}
        samples = self.samples(form.role) | ACTION_SAMPLES.get(urlsplit(form.action).path, {})
        for f in form.fields:
            if f.type == "checkbox" or (f.type == "radio" and f.checked):
                values.setdefault(f.name, []).append(f.value)
            elif f.tag == "button":
                values.setdefault(f.name, [f.value])
            elif f.type == "file":
                values[f.name] = FILES[2] if "image" in f.accept or ".png" in f.accept else FILES[1]
            elif f.tag == "select":
                values[f.name] = [samples[f.name] if samples.get(f.name) in f.options else f.value]
            else:
                typed = BY_TYPE.get(f.type, "测试")
                values[f.name] = [f.value or samples.get(f.name, "") or ("" if f.type == "hidden" else typed)]
        if form.action.endswith("/login") and "password" in values:
            values["number"], values["password"] = [self.world.refs["number_a"]], ["Zhangsan-2026"]
        for f in form.fields:  # an unchecked radio group sends its first choice
            if f.type == "radio" and f.name not in values:
                values[f.name] = [f.value]
        return values

    def strategy(self, form: Form) -> st.SearchStrategy[dict[str, Any]]:
        """Generated values for every control of ``form`` except the CSRF token."""
        base = self.baseline(form)
        groups: dict[str, list[Field]] = {}
        for f in form.fields:
            groups.setdefault(f.name, []).append(f)
        parts: dict[str, st.SearchStrategy[Any]] = {}
        for name, controls in groups.items():
            if name == "csrf":
                parts[name] = st.just(base[name])
                continue
            if controls[0].type == "file":
                parts[name] = st.sampled_from(FILES)
                continue
            choices = [c.value for c in controls if c.type in ("checkbox", "radio") or c.tag == "button"]
            choices += [o for c in controls for o in c.options]
            weird = st.sampled_from(WEIRD) | st.sampled_from(LONG) | st.text(max_size=40)
            one = weird | (st.sampled_from(choices) if choices else weird)
            parts[name] = st.one_of(
                st.just(base.get(name, OMIT)),
                st.just(OMIT),
                one.map(lambda v: [v]),
                st.lists(one, min_size=2, max_size=3),
            )
        return st.fixed_dictionaries(parts)

    # --- submitting ---------------------------------------------------------------------------------
    def submit(self, form: Form, values: dict[str, Any], label: str) -> Any | None:
        """Send ``values`` as ``form`` would, and check the answer and the page a redirect leads to."""
        self.tally.submissions += 1
        pairs = [(name, v) for name, vs in values.items() if vs is not OMIT and not isinstance(vs, tuple)
                 for v in vs]
        files = [(name, vs) for name, vs in values.items() if isinstance(vs, tuple)]
        what = f"as {form.role}: {form.method} {form.action} ({label}) fields={_short(pairs)} files={_short(files)}"
        if form.method == "GET":
            # A browser puts these in the address (kept below what servers take; httpx refuses 64 KiB).
            pairs = [(name, v[:URL_VALUE_MAX]) for name, v in pairs]
            sep = "&" if "?" in form.action else "?"
            response = self.request(form.role, "GET", form.action + sep + _urlencoded(pairs), what)
        elif form.multipart:
            body, ctype = multipart(pairs, files)
            response = self.request(form.role, "POST", form.action, what, content=body,
                                    headers={"content-type": ctype})
        else:
            response = self.request(form.role, "POST", form.action, what, content=_urlencoded(pairs).encode(),
                                    headers={"content-type": "application/x-www-form-urlencoded"})
        return self.follow(form.role, response, what)

    def fresh(self, form: Form) -> Form:
        """``form`` as its page shows it now (new tokens after a login, a renewed CSRF cookie, a new browser);
        the stored one when the page cannot be fetched again or no longer has it."""
        if not form.page_is_get:
            return form
        what = f"as {form.role}: GET {form.page} (the page of a form)"
        response = self.follow(form.role, self.request(form.role, "GET", form.page, what), what)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            return form
        parser = PageParser(form.role, str(response.url))
        parser.feed(response.text)
        return next((f for f in parser.forms if f.key == form.key), form)

    def fuzz(self, form: Form) -> None:
        """Wrong CSRF tokens, generated values, then the page's own values (last: a single-use step such as
        a login, a consent or a withdrawal would leave nothing to fuzz after it); the answer to the page's
        own values may show the next forms."""
        self.tally.forms += 1
        current = Current(self.fresh(form))

        def send(values: dict[str, Any], label: str) -> Any | None:
            if current.stale:
                current.form, current.stale = self.fresh(form), False
            self.moved = False
            response = self.submit(current.form, values, label)
            # A redirect or a new cookie may have moved this browser on (logged in, renewed its CSRF token).
            current.stale = response is None or self.moved
            return response

        if any(f.name == "csrf" for f in form.fields):
            for token in WRONG_CSRF:
                send({**self.baseline(current.form), "csrf": [token]}, "wrong CSRF token")

        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                             suppress_health_check=list(HealthCheck), derandomize=True)
        @given(values=self.strategy(form))
        def run(values: dict[str, Any]) -> None:
            if time.monotonic() < self.deadline:
                send({**values, "csrf": self.baseline(current.form).get("csrf", OMIT)}, "generated")

        run()
        current.stale = True
        response = send(self.baseline(current.form), "page values")
        if response is not None and response.status_code == 200 and "text/html" in response.headers.get(
                "content-type", ""):
            self.parse(form.role, response)

    def run(self) -> None:
        """Crawl every role, then fuzz the forms in the order found; once more for the forms the first round's
        submissions brought up (a supplement request, a concluded application …); the session-ending ones last."""
        for _ in range(ROUNDS):
            self.tally.seen_pages.clear()
            for role in self.seeds:
                self.crawl(role)
            while self.queue and self.tally.forms < MAX_FORMS and time.monotonic() < self.deadline:
                self.fuzz(self.queue.popleft())
        for form in self.last:
            if self.tally.forms >= MAX_FORMS or time.monotonic() >= self.deadline:
                break
            self.fuzz(form)
            self.world.page_clients.pop(form.role, None)  # the next form of this role logs in again


def multipart(pairs: list[tuple[str, str]], files: list[tuple[str, tuple[str, bytes, str]]]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it (an unchosen file is an empty part with no name)."""
    boundary = "fuzz" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for name, value in pairs:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
                      + value.encode("utf-8", "surrogateescape") + b"\r\n")
    for name, (filename, content, ctype) in files:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"; '
                      f'filename="{_quote(filename)}"\r\nContent-Type: {ctype}\r\n\r\n'.encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _urlencoded(pairs: list[tuple[str, str]]) -> str:
    """``pairs`` as a browser encodes a form (UTF-8; a surrogate escape stands for a byte that is no UTF-8)."""
    return urlencode(pairs, errors="surrogateescape")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 400 else text[:400] + f"… ({len(text)} chars)"


def test_fuzz_every_html_form(world: Any) -> None:
    """Every form of every page, as the role that sees it: no 5xx, no text/plain error page."""
    started = time.monotonic()
    device = world.client.post("/device_authorization", data={"client_id": "demo-kiosk", "scope": "openid profile"})
    assert device.status_code == 200, device.text
    user_code = device.json()["user_code"]
    seeds = {**SEEDS, "holder_a": [*SEEDS["holder_a"], f"/device?user_code={user_code}"]}
    body = "110101" + "19900101" + "123"  # a person nobody registered yet
    fuzzer = FormFuzzer(world, deadline=started + BUDGET_S, seeds=seeds, user_code=user_code,
                        fresh_number=body + mod_11_2_check(body))
    fuzzer.run()
    tally = fuzzer.tally
    elapsed = time.monotonic() - started
    new = {key: repro for key, repro in tally.failures.items() if key not in KNOWN}
    dialect = runtime_of(world.app).settings.database_url.split(":", 1)[0]
    record("fuzzing (forms):",
           f"{tally.submissions} submissions of {tally.forms} forms on {tally.pages} pages "
           f"({len(seeds)} browsers), {tally.server_errors} server errors, {len(tally.failures)} distinct failures "
           f"({len(tally.failures) - len(new)} known) ({dialect}, {elapsed:.0f} s)")
    assert tally.forms >= 25 and tally.submissions > 300, tally
    assert not new, "\n\n".join(f"{key}\n{repro}" for key, repro in new.items())


class ToyWorld:
    """Just enough of the hardening world for the fuzzer to drive a small app in one anonymous browser."""

    refs = {"number_a": "11010519491231002X", "number_b": "110102199101010078", "app_a": "1", "presentation_a": "t"}
    numbers: dict[str, str] = {}

    def __init__(self, app: Any) -> None:
        self.client = TestClient(app)
        self.client.cookies.set("toy_csrf", "toy-token")
        self.page_clients: dict[str, Any] = {}

    def page(self, role: str, method: str, path: str, **kw: Any) -> Any:
        """A request of the one browser."""
        return self.client.request(method, path, follow_redirects=False, **kw)


def toy_app() -> FastAPI:
    """Two pages, two forms: one whose handler lets an exception escape, one answering a text/plain 400."""
    app = FastAPI()
    page = ('<a href="/hall/more">more</a><form method="post" action="/hall/echo">'
            '<input type="hidden" name="csrf" value="toy-token"><input name="n"><button>go</button></form>')
    more = '<form method="post" action="/hall/plain"><textarea name="t">hi</textarea></form>'
    app.get("/hall")(lambda: HTMLResponse(page))
    app.get("/hall/more")(lambda: HTMLResponse(more))

    @app.post("/hall/echo")
    async def echo(request: Request) -> HTMLResponse:
        form = await request.form()
        return HTMLResponse(f"<p>{int(str(form.get('n')))}</p>")  # a fuzzer has to find this one

    app.post("/hall/plain")(lambda: PlainTextResponse("bad request", status_code=400))
    return app


def test_the_form_fuzzer_finds_a_server_error_and_a_plain_text_page() -> None:
    """The fuzzer itself: on a toy app it finds both forms, the escaping exception and the text/plain page."""
    fuzzer = FormFuzzer(ToyWorld(toy_app()), deadline=time.monotonic() + 60, seeds={"anonymous": ["/hall"]})
    fuzzer.run()
    assert fuzzer.tally.forms == 2  # the second round finds nothing new
    assert set(fuzzer.tally.failures) == {"POST /hall/echo ValueError", "POST /hall/plain text/plain 400"}
    assert "ValueError: invalid literal for int()" in fuzzer.tally.failures["POST /hall/echo ValueError"]
    assert fuzzer.tally.submissions == 2 * (EXAMPLES + 1) + len(WRONG_CSRF)


@pytest.fixture
def settings(settings: Any, world_tools: Any) -> Any:
    """The test settings without lockout and rate limits (see conftest.relaxed)."""
    return world_tools.relaxed(settings)
