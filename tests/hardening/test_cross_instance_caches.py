"""Two instances on one PostgreSQL database (issue 16, item 10): a client, catalog or signing-key change made
elsewhere drops B's per-process copy at once — through ``NOTIFY`` in the changing transaction, not after B's
reload.

Each round first lets B's copy expire and makes B load it anew (so it would stay fresh for the cache's whole
TTL), then changes the row and asks B again well inside that TTL: only the notification can tell B in time,
and the test checks that the TTL had not run out. The license type is changed on A's admin page; clients and
keys have no such page (operators use ``onenumber clients …`` / ``keys rotate``, whose start-up alone may
outlast the TTL on a busy host), so the test process changes them with the same service functions, as a third
instance would. B listens on its own ``ONENUMBER_LISTEN_URL``, given as a file (``ONENUMBER_LISTEN_URL_FILE``,
as compose gives the direct URL beside PgBouncer). Runs in the PostgreSQL suite.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy import Engine, text

from core.db import make_engine, make_sessionmaker, session_scope
from core.settings import Settings
from idp.keys import service as key_service
from idp.oauth import clients
from idp.oauth.clients import CACHE_TTL as CLIENT_TTL
from tests.helpers.idp_helpers import csrf_of, hidden
from tests.helpers.ops_helpers import Instance, drop_database, free_port, marriage_of, new_database, person_token, stop
from wallet.licenses.refs import TTL as CATALOG_TTL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("ONENUMBER_TEST_DATABASE_URL"),
        reason="LISTEN/NOTIFY is PostgreSQL's: this runs in the PostgreSQL suite",
    ),
]
MASTER_KEY = "cross-instance-master-key-0123456789abc"
CLIENT = ("cross-check", "cross-check-secret-0123456789")
ROTATION_CLIENT = ("rotation-check", "rotation-check-secret-0123456789")
LISTENER = "onenumber-b-listen"  # the application_name of B's LISTEN connection (its listen URL)
ADMIN = ("440882198503293017", "Wangwu-2026")  # 王五 holds the admin role in the demo data (idp/seed.py)
# Two-phase key rotation on a short clock: a new key is in JWKS PUBLISH_S before it signs; JWKS may be cached
# for JWKS_CACHE_S (the production defaults are 120 and 60).
PUBLISH_S, JWKS_CACHE_S = 4, 1
ROTATION = {"ONENUMBER_KEY_PUBLISH_SECONDS": str(PUBLISH_S), "ONENUMBER_JWKS_CACHE_SECONDS": str(JWKS_CACHE_S)}


@dataclass
class Pair:
    a: Instance
    b: Instance


def _pair(tmp_path: Path, *, seed: bool) -> Iterator[Pair]:
    url = new_database(tmp_path)
    a = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY, port=free_port())
    b = Instance(database_url=url, blob_dir=tmp_path / "blobs", secret_key=MASTER_KEY)
    servers = []
    try:
        a.cli("db", "upgrade")
        if seed:
            a.cli("seed")  # with A's issuer: the hall's redirect URI is A's
        a.cli(
            "clients",
            "add",
            CLIENT[0],
            "--kind",
            "department",
            "--grant-types",
            "client_credentials",
            "--scopes",
            "license:verify",
            "--secret",
            CLIENT[1],
            "--department-code",
            "11110000000245016J",
        )
        servers.append(a.serve(tmp_path / "a.log", ready_timeout=120, ONENUMBER_WORKLOG_SEAL_INTERVAL="0", **ROTATION))
        listen_url = tmp_path / "listen_url"
        listen_url.write_text(f"{url}?application_name={LISTENER}\n")
        # one platform: both instances are the same issuer (behind a balancer they share one URL)
        servers.append(
            b.serve(
                tmp_path / "b.log",
                ready_timeout=120,
                ONENUMBER_WORKLOG_SEAL_INTERVAL="0",
                ONENUMBER_ISSUER=a.url,
                ONENUMBER_LISTEN_URL_FILE=str(listen_url),
                **ROTATION,
            )
        )
        yield Pair(a, b)
    finally:
        for server in servers:
            stop(server)
        drop_database(url)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Shared by the client and key tests (two instances take half a minute to start on a busy host); each
    test uses clients of its own, so their order does not matter."""
    yield from _pair(tmp_path_factory.mktemp("pair"), seed=False)


@pytest.fixture
def seeded_pair(tmp_path: Path) -> Iterator[Pair]:
    yield from _pair(tmp_path, seed=True)


def _grant(base: str, secret: str = CLIENT[1]) -> httpx.Response:
    return httpx.post(
        base + "/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT[0], "client_secret": secret, "scope": "license:verify"},
    )


def _fresh_load_at(base: str, ttl: float, ask: Callable[[], object]) -> float:
    """Let ``base``'s copy expire, then make it load anew with ``ask()``; the time of that load."""
    time.sleep(ttl + 0.2)
    loaded_at = time.monotonic()
    ask()
    return loaded_at


def _listening(engine: Engine) -> bool:
    """True once B's LISTEN connection, made on its listen URL (named by its application_name), listens."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND query LIKE 'LISTEN %'"),
                {"name": LISTENER},
            ).scalar_one()
        if found:
            return True
        time.sleep(0.1)
    return False


def test_a_rotated_secret_and_a_disabled_client_are_refused_at_b_at_once(pair: Pair) -> None:
    a, b = pair.a.url, pair.b.url
    assert _grant(b).status_code == 200  # B caches the client and listens
    assert _grant(a).status_code == 200
    settings = Settings(database_url=pair.a.database_url, secret_key=MASTER_KEY)
    engine = make_engine(settings.database_url)
    assert _listening(engine), "B does not listen on its ONENUMBER_LISTEN_URL"
    sessions = make_sessionmaker(engine)

    loaded_at = _fresh_load_at(b, CLIENT_TTL, lambda: _grant(b).raise_for_status())
    with session_scope(sessions) as session:
        new_secret = clients.rotate_secret(session=session, settings=settings, client_id=CLIENT[0])
    refused = _grant(b)
    assert time.monotonic() - loaded_at < CLIENT_TTL - 0.5, "too slow to tell NOTIFY from B's reload"
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client", refused.text
    assert _grant(a).status_code == 401
    assert _grant(b, new_secret).status_code == 200

    loaded_at = _fresh_load_at(b, CLIENT_TTL, lambda: _grant(b, new_secret).raise_for_status())
    with session_scope(sessions) as session:
        clients.disable(session=session, client_id=CLIENT[0])
    refused = _grant(b, new_secret)
    assert time.monotonic() - loaded_at < CLIENT_TTL - 0.5, "too slow to tell NOTIFY from B's reload"
    assert refused.status_code in (400, 401) and refused.json()["error"] in ("invalid_client", "unauthorized_client")
    assert _grant(a, new_secret).status_code in (400, 401)
    engine.dispose()


def _kid(token: str) -> str:
    header = token.split(".", 1)[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


@dataclass
class _Samples:
    """What two instances answered while a rotation happened (monotonic times when each request started)."""

    tokens: list[tuple[float, str, str]]  # (time, instance, kid of the access token)
    jwks: list[tuple[float, str, frozenset[str]]]  # (time, instance, kids published)


def _sample(bases: dict[str, str], until: Callable[[], bool], samples: _Samples) -> list[threading.Thread]:
    def run(name: str, base: str) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            while not until():
                started = time.monotonic()
                keys = http.get("/jwks.json").raise_for_status().json()["keys"]
                samples.jwks.append((started, name, frozenset(k["kid"] for k in keys)))
                started = time.monotonic()
                token = http.post("/token", data={
                    "grant_type": "client_credentials", "client_id": ROTATION_CLIENT[0],
                    "client_secret": ROTATION_CLIENT[1], "scope": "license:verify",
                }).raise_for_status().json()["access_token"]
                samples.tokens.append((started, name, _kid(token)))

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in bases.items()]
    for thread in threads:
        thread.start()
    return threads


def test_a_rotation_signs_nothing_that_any_cached_jwks_lacks(pair: Pair) -> None:
    """`keys rotate` run by a third process while A and B issue tokens and serve JWKS without pause: the new
    key is published at both first, both sign with it from its activation time on, and no token at any
    moment carries a kid missing from a JWKS either instance served within a cache lifetime before it."""
    assert JWKS_CACHE_S < PUBLISH_S
    engine = make_engine(pair.a.database_url)
    assert _listening(engine), "B does not listen on its ONENUMBER_LISTEN_URL"
    settings = Settings(
        database_url=pair.a.database_url, secret_key=MASTER_KEY,
        key_publish_seconds=PUBLISH_S, jwks_cache_seconds=JWKS_CACHE_S,
    )
    with session_scope(make_sessionmaker(engine)) as session:  # a client of its own (another test disables one)
        clients.create(session=session, settings=settings, client_id=ROTATION_CLIENT[0], name="轮换检查",
                       kind="department", grant_types=["client_credentials"], scopes=["license:verify"],
                       secret=ROTATION_CLIENT[1], department_code="11110000000245016J")
    samples, stop_at = _Samples([], []), [float("inf")]
    threads = _sample({"A": pair.a.url, "B": pair.b.url}, lambda: time.monotonic() > stop_at[0], samples)
    time.sleep(1.0)
    old_kids = {kid for _, _, kid in samples.tokens}
    assert len(old_kids) == 1, old_kids
    with session_scope(make_sessionmaker(engine)) as session:  # what `onenumber keys rotate` does
        new_kid = key_service.rotate(session=session, settings=settings, alg="ES256").kid
    rotated_at = time.monotonic()
    stop_at[0] = rotated_at + PUBLISH_S + 3.0
    for thread in threads:
        thread.join(timeout=PUBLISH_S + 30)
    engine.dispose()

    for name in ("A", "B"):
        signed = [t for t, who, kid in samples.tokens if who == name and kid == new_kid]
        shown = [t for t, who, kids in samples.jwks if who == name and new_kid in kids]
        assert signed and shown, f"{name} never signed with or published the new key"
        assert min(signed) >= rotated_at + PUBLISH_S - 0.5, f"{name} signed with the new key before its time"
        assert min(shown) <= rotated_at + PUBLISH_S - JWKS_CACHE_S, f"{name} published the new key too late"
        assert max(t for t, who, kid in samples.tokens if who == name and kid != new_kid) < min(signed) + 0.5
    late = [
        (round(t - rotated_at, 2), who, kid, round(seen - rotated_at, 2), where)
        for t, who, kid in samples.tokens
        for seen, where, kids in samples.jwks
        if seen >= t - JWKS_CACHE_S and kid not in kids
    ]
    assert not late, f"tokens whose kid a JWKS served within its cache lifetime lacked: {late[:5]}"
    assert len(samples.tokens) > 50 and len(samples.jwks) > 50, (len(samples.tokens), len(samples.jwks))


class _Form(HTMLParser):
    """The named controls of the form with id ``form_id``, with the values the page shows."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.values: dict[str, str] = {}
        self._open: str | None = None  # the textarea or select being read
        self._inside = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self._inside = True
        if self._done or not self._inside:
            return
        if tag in ("input", "textarea", "select") and "name" in a:
            self.values.setdefault(a["name"], a.get("value", ""))
            self._open = a["name"] if tag in ("textarea", "select") else None
        elif tag == "option" and self._open and ("selected" in a or not self.values[self._open]):
            self.values[self._open] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._inside and not self._done and self.lasttag == "textarea":
            self.values[self._open] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("textarea", "select"):
            self._open = None
        elif tag == "form" and self._inside:
            self._done = True


def _admin_browser(base: str, page: str) -> tuple[httpx.Client, str]:
    """A browser signed in to A's hall as the demo administrator, and the HTML of ``page``."""
    browser = httpx.Client(base_url=base, timeout=30)
    response = browser.get("/hall/login?next=" + page, follow_redirects=False)
    for _ in range(15):
        if response.status_code in (302, 303):
            response = browser.get(urljoin(str(response.url), response.headers["location"]), follow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:800]
        html = response.text
        if 'action="/login"' in html:
            response = browser.post(
                "/login",
                data={"csrf": csrf_of(html), "number": ADMIN[0], "password": ADMIN[1], "next": hidden(html, "next")},
                follow_redirects=False,
            )
        elif 'action="/login/select"' in html:
            response = browser.post(
                "/login/select",
                data={"csrf": csrf_of(html), "delegation": "", "next": hidden(html, "next")},
                follow_redirects=False,
            )
        elif 'action="/consent"' in html:
            response = browser.post(
                "/consent",
                data={"csrf": csrf_of(html), "decision": "allow", "next": hidden(html, "next")},
                follow_redirects=False,
            )
        else:
            assert response.url.path == page, response.url
            return browser, html
    raise AssertionError("the hall login did not end on " + page)


def _verify_type_name(base: str, token: str) -> str:
    response = httpx.post(base + "/api/verify/presentation", json={"token": token}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["license_type"]["name"])


def test_a_license_type_changed_at_a_is_seen_at_b_at_once(seeded_pair: Pair) -> None:
    a, b = seeded_pair.a.url, seeded_pair.b.url
    holder = person_token(a)
    identifier = marriage_of(a, holder)
    presented = httpx.post(
        f"{a}/api/wallet/licenses/{identifier}/present", json={}, headers={"Authorization": f"Bearer {holder}"}, timeout=30
    )
    assert presented.status_code == 201, presented.text
    token = presented.json()["token"]
    verified = httpx.post(b + "/api/verify/presentation", json={"token": token}, timeout=30).json()
    type_code, old_name = verified["license_type"]["code"], verified["license_type"]["name"]
    admin, html = _admin_browser(a, f"/admin/types/{type_code}")
    try:
        for round_no in range(2):
            form = _Form("type-form")
            form.feed(html)
            assert form.values["type_code"] == type_code and form.values["editing"] == "1", form.values
            new_name = f"{old_name}（第{round_no + 1}版）"
            loaded_at = _fresh_load_at(b, CATALOG_TTL, lambda: _verify_type_name(b, token))
            saved = admin.post("/admin/types", data={**form.values, "name": new_name}, follow_redirects=False)
            assert saved.status_code in (302, 303), saved.text[:800]
            seen = _verify_type_name(b, token)
            assert time.monotonic() - loaded_at < CATALOG_TTL - 0.5, "too slow to tell NOTIFY from B's reload"
            assert seen == new_name, f"round {round_no}: B still shows {seen!r}"
            assert _verify_type_name(a, token) == new_name
            html = admin.get(f"/admin/types/{type_code}").text
    finally:
        admin.close()
