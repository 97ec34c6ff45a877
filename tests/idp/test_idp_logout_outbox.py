"""Durable back-channel logout (issue 16, item 5): the outbox row written with the logout is delivered by
whichever process runs — after the relying party was down for a while, after the sending process was killed
with SIGKILL mid-POST, once per row when two instances poll one PostgreSQL database — and a dead letter
is listed and requeued with ``onenumber logout-deliveries``.

Real HTTP throughout: ``onenumber serve`` subprocesses, a loopback relying party, logouts through /logout.
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.settings import Settings
from idp.backchannel import DEAD, DELIVERED, PENDING, BackchannelSettings, LogoutDelivery, outbox
from tests.helpers.idp_helpers import ZHANG, login_code
from tests.helpers.ops_helpers import Instance, drop_database, free_port, new_database, stop

PG = bool(os.environ.get("ONENUMBER_TEST_DATABASE_URL"))
MASTER_KEY = "outbox-master-key-0123456789abcdef012345"
PORTAL = ("portal", "portal-secret-0123456789")
REDIRECT, BYE = "http://127.0.0.1:3000/cb", "http://127.0.0.1:3000/bye"
# Fast clocks for the tests: look every 0.2 s, retry after 0.3 s doubling, four attempts, a 2 s lease.
FAST = {
    "ONENUMBER_BACKCHANNEL_POLL_INTERVAL": "0.2",
    "ONENUMBER_BACKCHANNEL_RETRY_BASE": "0.3",
    "ONENUMBER_BACKCHANNEL_RETRY_MAX": "1.0",
    "ONENUMBER_BACKCHANNEL_MAX_ATTEMPTS": "4",
    "ONENUMBER_BACKCHANNEL_LEASE": "2",
    "ONENUMBER_BACKCHANNEL_TIMEOUT": "1",
    "ONENUMBER_WORKLOG_SEAL_INTERVAL": "0",
}


class Receiver:
    """A relying party's back-channel endpoint on a fixed loopback port that can be stopped and started
    again; ``mode`` is ``ok`` (200), ``fail`` (500) or ``hang`` (the next request waits for ``release``)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.tokens: list[str] = []
        self.mode = "ok"
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/backchannel"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.tokens.append(parse_qs(body)["logout_token"][0])
                mode = receiver.mode
                if mode == "hang":
                    receiver.mode = "ok"
                    receiver.arrived.set()
                    receiver.release.wait(30)
                self.send_response(500 if mode == "fail" else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Platform:
    """One database, a registered relying party with a back-channel URI, a person, and a server."""

    def __init__(self, tmp: Path, receiver: Receiver) -> None:
        self.url = new_database(tmp)
        self.tmp = tmp
        self.inst = Instance(self.url, tmp / "blobs", MASTER_KEY)
        self.receiver = receiver
        self.proc: Any = None
        self.inst.cli("db", "upgrade")
        self.inst.cli("clients", "add", PORTAL[0], "--kind", "web", "--trusted", "--secret", PORTAL[1],
                      "--redirect-uris", REDIRECT, "--post-logout-redirect-uris", BYE, "--scopes", "openid",
                      "--backchannel-logout-uri", receiver.uri, "--id-token-alg", "RS256")
        self.inst.cli("persons", "add", ZHANG[0], "张三", "--password", ZHANG[1])
        self.engine = make_engine(self.url)
        self.sessions = make_sessionmaker(self.engine)

    def serve(self) -> None:
        self.proc = self.inst.serve(self.tmp / "server.log", ready_timeout=90, **FAST)  # a busy CI host

    def cli(self, *args: str) -> str:
        return self.inst.cli(*args, env=self.inst.env(**FAST)).stdout

    def logout(self) -> str:
        """Sign in at the portal and log out from it (RP-initiated, proven); the ended session's sid."""
        with httpx.Client(base_url=self.inst.url, timeout=30) as browser:
            code, verifier = login_code(browser, number=ZHANG[0], password=ZHANG[1], client_id=PORTAL[0],
                                        redirect_uri=REDIRECT, scope="openid")
            tokens = browser.post("/token", auth=PORTAL, data={"grant_type": "authorization_code", "code": code,
                                                               "redirect_uri": REDIRECT, "code_verifier": verifier})
            assert tokens.status_code == 200, tokens.text
            id_token = tokens.json()["id_token"]
            done = browser.get("/logout?" + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": BYE}))
            assert done.status_code == 302 and done.headers["location"] == BYE, done.text[:300]
        return str(jwt.decode(id_token, self.keys()).claims["sid"])

    def keys(self) -> KeySet:
        return KeySet.import_key_set(httpx.get(self.inst.url + "/jwks.json", timeout=10).json())

    def row(self, sid: str) -> LogoutDelivery:
        with self.sessions() as session:
            found = session.scalars(select(LogoutDelivery).where(LogoutDelivery.sid == sid)).one()
            session.expunge(found)
            return found

    def wait_for(self, sid: str, state: str, timeout: float = 20) -> LogoutDelivery:
        deadline = time.monotonic() + timeout
        while True:
            row = self.row(sid)
            if row.state == state or time.monotonic() > deadline:
                assert row.state == state, f"{row.state} after {row.attempts} attempts ({row.last_error})"
                return row
            time.sleep(0.1)

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        self.engine.dispose()
        drop_database(self.url)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    receiver = Receiver()
    receiver.start()
    world = Platform(tmp_path_factory.mktemp("outbox"), receiver)
    try:
        world.serve()
        yield world
    finally:
        world.close()
        receiver.stop()


def _claims(platform: Platform, token: str) -> dict[str, Any]:
    decoded = jwt.decode(token, platform.keys())
    assert decoded.header["typ"] == "logout+jwt"
    return dict(decoded.claims)


def _wait(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_logout_is_delivered_and_recorded(platform: Platform) -> None:
    platform.receiver.tokens.clear()
    sid = platform.logout()
    row = platform.wait_for(sid, DELIVERED)
    assert row.attempts == 1 and row.finished_at is not None and row.last_error is None
    (token,) = platform.receiver.tokens
    claims = _claims(platform, token)
    assert claims["sid"] == sid and claims["aud"] == PORTAL[0] and claims["iss"] == platform.inst.url
    assert claims["events"] == {outbox.BACKCHANNEL_EVENT: {}} and claims["jti"] and "nonce" not in claims


@pytest.mark.slow
def test_receiver_down_then_up_is_delivered_by_the_retry_loop(platform: Platform) -> None:
    receiver = platform.receiver
    receiver.stop()  # connection refused
    receiver.tokens.clear()
    try:
        sid = platform.logout()
        _wait(lambda: platform.row(sid).attempts >= 2)  # the first attempt failed, the loop took it up
        row = platform.row(sid)
        assert row.state == PENDING and row.last_error == "ConnectError"
    finally:
        receiver.start()
    row = platform.wait_for(sid, DELIVERED)
    assert row.attempts >= 2  # the first attempt failed: a retry delivered it
    assert receiver.tokens and _claims(platform, receiver.tokens[-1])["sid"] == sid


@pytest.mark.slow
def test_sigkill_mid_delivery_is_delivered_by_the_restarted_process(platform: Platform) -> None:
    receiver = platform.receiver
    receiver.tokens.clear()
    receiver.arrived.clear()
    receiver.release.clear()
    receiver.mode = "hang"  # the first POST arrives and is never answered
    sid = platform.logout()
    assert receiver.arrived.wait(20), "the first attempt never came"
    platform.proc.kill()  # SIGKILL right after the commit, mid-POST: no shutdown handler runs
    platform.proc.wait(timeout=10)
    receiver.release.set()
    killed = platform.row(sid)
    assert killed.state == PENDING and killed.attempts == 1  # the row survived the process
    first_iat = _claims_unverified(receiver.tokens[0])["iat"]
    platform.serve()  # a new process; it knows nothing of the old one but the row
    row = platform.wait_for(sid, DELIVERED)
    assert row.attempts == 2 and len(receiver.tokens) == 2
    late = _claims(platform, receiver.tokens[1])
    assert late["sid"] == sid and late["iat"] >= first_iat  # signed at delivery: a fresh iat and jti
    assert late["jti"] != _claims_unverified(receiver.tokens[0])["jti"]


def _claims_unverified(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.mark.slow
def test_dead_letter_is_listed_and_retry_requeues_it(platform: Platform) -> None:
    receiver = platform.receiver
    receiver.mode = "fail"
    receiver.tokens.clear()
    try:
        sid = platform.logout()
        row = platform.wait_for(sid, DEAD)
    finally:
        receiver.mode = "ok"
    assert row.attempts == 4 and row.last_error == "HTTP 500" and len(receiver.tokens) == 4
    listed = platform.cli("logout-deliveries", "list", "--state", "dead")
    line = next(x for x in listed.splitlines() if x.split()[:1] == [str(row.id)])
    assert "dead" in line and "HTTP 500" in line and PORTAL[0] in line and "/backchannel" in line
    sub = _claims_unverified(receiver.tokens[0])["sub"]
    for secret in (sid, sub, *receiver.tokens, PORTAL[1]):  # no token, subject, session id or client secret
        assert secret not in listed
    assert "eyJ" not in listed
    assert "requeued 1" in platform.cli("logout-deliveries", "retry", str(row.id))
    done = platform.wait_for(sid, DELIVERED)
    assert done.attempts == 1 and _claims(platform, receiver.tokens[-1])["sid"] == sid
    assert "requeued 0" in platform.cli("logout-deliveries", "retry", "--all-dead")
    refused = platform.inst.cli("logout-deliveries", "retry", str(row.id), check=False)
    assert refused.returncode == 2 and "delivered already" in refused.stderr


# --- the outbox's own rules, in process (SQLite, or PostgreSQL in the PostgreSQL suite) -------------------

FAST_SETTINGS = BackchannelSettings(backchannel_retry_base=5, backchannel_retry_max=3600, backchannel_max_attempts=3)


def _enqueue(session: Any, sid: str, n: int = 1) -> list[int]:
    rows = [
        outbox.enqueue(session=session, settings=Settings(issuer="https://op.example"), client_id="rp",
                       uri="https://rp.example/bc", alg="ES256", sub=f"sub-{sid}", sid=f"{sid}-{i}",
                       give_up_after=86400)
        for i in range(n)
    ]
    session.commit()
    return [r.id for r in rows]


def test_backoff_doubles_to_the_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [outbox.backoff(k, settings=FAST_SETTINGS, rng=rng) for k in range(1, 14)]
    for k, delay in enumerate(delays, start=1):
        nominal = min(5 * 2 ** (k - 1), 3600)
        assert 0.75 * nominal <= delay <= 1.25 * nominal


def test_claim_lease_failure_backoff_dead_and_retry(session: Any) -> None:
    (rid,) = _enqueue(session, "s")
    now = utcnow()
    (first,) = outbox.claim(session=session, lease=60, now=now)
    assert first.id == rid and first.attempts == 1 and first.claims["sid"] == "s-0"
    assert outbox.claim(session=session, lease=60, now=now) == []  # leased: nobody else takes it
    assert outbox.record(session=session, claimed=first, error="HTTP 503", settings=FAST_SETTINGS, now=now) == PENDING
    row = session.get(LogoutDelivery, rid)
    session.refresh(row)
    assert row.state == PENDING and row.last_error == "HTTP 503"
    assert now + timedelta(seconds=3.7) <= row.next_attempt_at <= now + timedelta(seconds=6.3)
    # a late outcome of an overtaken claim changes nothing
    later = now + timedelta(seconds=10)
    (second,) = outbox.claim(session=session, lease=60, now=later)
    assert outbox.record(session=session, claimed=first, error="stale", settings=FAST_SETTINGS, now=later) == PENDING
    session.refresh(row)
    assert row.last_error == "HTTP 503" and row.attempts == 2
    outbox.record(session=session, claimed=second, error="HTTP 500", settings=FAST_SETTINGS, now=later)
    (third,) = outbox.claim(session=session, lease=60, now=later + timedelta(hours=1))
    assert outbox.record(session=session, claimed=third, error="ConnectError", settings=FAST_SETTINGS,
                         now=later) == DEAD
    session.refresh(row)
    assert row.state == DEAD and row.attempts == 3 and row.finished_at is not None
    assert outbox.claim(session=session, lease=60, now=later + timedelta(days=2)) == []
    assert outbox.retry(session=session, give_up_after=86400, all_dead=True) == 1
    session.commit()
    session.refresh(row)
    assert row.state == PENDING and row.attempts == 0
    (again,) = outbox.claim(session=session, lease=60)
    assert outbox.record(session=session, claimed=again, error=None, settings=FAST_SETTINGS) == DELIVERED


def test_purge_removes_old_delivered_and_dead_rows_only(session: Any) -> None:
    ids = _enqueue(session, "p", 3)
    now = utcnow()
    for rid, state, age in zip(ids, (DELIVERED, DEAD, DELIVERED), (8, 8, 1), strict=True):
        row = session.get(LogoutDelivery, rid)
        row.state, row.finished_at = state, now - timedelta(days=age)
    session.commit()
    assert outbox.purge_finished(session=session, settings=BackchannelSettings(), now=now, limit=100) == 1
    session.commit()
    assert sorted(r.id for r in outbox.list_deliveries(session=session)) == [ids[1], ids[2]]


@pytest.mark.skipif(not PG, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's: this runs in the PostgreSQL suite")
def test_skip_locked_leaves_rows_another_instance_is_claiming(engine: Any) -> None:
    factory = make_sessionmaker(engine)
    with factory() as setup:
        ids = _enqueue(setup, "k", 4)
    with factory() as a, factory() as b:
        locked = list(a.scalars(select(LogoutDelivery.id).where(LogoutDelivery.id.in_(ids[:2])).with_for_update()))
        claimed = outbox.claim(session=b, lease=60, limit=10)  # does not wait for a's locks
        assert sorted(c.id for c in claimed) == ids[2:] and sorted(locked) == ids[:2]
        a.rollback()


@pytest.mark.slow
@pytest.mark.skipif(not PG, reason="two instances share one PostgreSQL database: the PostgreSQL suite")
def test_two_instances_never_deliver_a_row_twice(tmp_path: Path) -> None:
    hits: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            claims = _claims_unverified(parse_qs(body)["logout_token"][0])
            with lock:
                hits[claims["sid"]] += 1
            time.sleep(0.05)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = new_database(tmp_path)
    a = Instance(url, tmp_path / "blobs", MASTER_KEY)
    b = Instance(url, tmp_path / "blobs", MASTER_KEY)
    procs = []
    engine = make_engine(url)
    try:
        a.cli("db", "upgrade")
        fast = {**FAST, "ONENUMBER_BACKCHANNEL_POLL_INTERVAL": "0.05"}
        procs.append(a.serve(tmp_path / "a.log", ready_timeout=90, **fast))
        procs.append(b.serve(tmp_path / "b.log", ready_timeout=90, **fast))
        with make_sessionmaker(engine)() as session:
            rows = [
                outbox.enqueue(session=session, settings=Settings(issuer=a.url), client_id="rp", alg="ES256",
                               uri=f"http://127.0.0.1:{server.server_address[1]}/bc", sub="s", sid=f"sid-{i}",
                               give_up_after=3600)
                for i in range(60)
            ]
            session.commit()  # both instances find them due at once
        ids = [r.id for r in rows]

        def all_delivered() -> bool:
            with make_sessionmaker(engine)() as s:
                states = s.scalars(select(LogoutDelivery.state).where(LogoutDelivery.id.in_(ids))).all()
                return all(x == DELIVERED for x in states)

        _wait(all_delivered, timeout=60)
        with make_sessionmaker(engine)() as s:
            attempts = s.scalars(select(LogoutDelivery.attempts).where(LogoutDelivery.id.in_(ids))).all()
        assert set(attempts) == {1}
        assert len(hits) == 60 and set(hits.values()) == {1}, hits.most_common(3)
    finally:
        for proc in procs:
            stop(proc)
        server.shutdown()
        engine.dispose()
        drop_database(url)


@pytest.mark.slow
@pytest.mark.skipif(not PG, reason="two instances share one PostgreSQL database: the PostgreSQL suite")
def test_another_instance_delivers_after_the_sender_was_killed_and_the_receiver_was_down(
    platform: Platform, tmp_path: Path
) -> None:
    """A logs out while the relying party is down, and is killed with SIGKILL; B, on the same database,
    retries while the receiver is still down, and delivers once it is back."""
    receiver = platform.receiver
    receiver.stop()  # connection refused
    receiver.tokens.clear()
    other = Instance(platform.url, platform.tmp / "blobs", MASTER_KEY)
    b = None
    try:
        sid = platform.logout()
        _wait(lambda: platform.row(sid).attempts >= 1)  # A's own attempt failed
        platform.proc.kill()
        platform.proc.wait(timeout=10)
        platform.proc = None
        assert platform.row(sid).state == PENDING
        # B keeps trying for longer than A would have (its own settings), on the row A left
        patient = {**FAST, "ONENUMBER_BACKCHANNEL_MAX_ATTEMPTS": "40"}
        tried = platform.row(sid).attempts  # A's
        b = other.serve(tmp_path / "b.log", ready_timeout=90, **patient)
        # an attempt is counted when it is claimed: B's third claim means its first two failed (receiver down)
        _wait(lambda: platform.row(sid).attempts >= tried + 3, timeout=30)
        down = platform.row(sid)
        assert down.state == PENDING and down.last_error == "ConnectError" and not receiver.tokens
        receiver.start()
        row = platform.wait_for(sid, DELIVERED, timeout=30)
        assert row.attempts >= tried + 3
        (token,) = receiver.tokens
        decoded = jwt.decode(token, KeySet.import_key_set(httpx.get(other.url + "/jwks.json", timeout=10).json()))
        assert decoded.claims["sid"] == sid and decoded.claims["aud"] == PORTAL[0]
        assert decoded.claims["events"] == {outbox.BACKCHANNEL_EVENT: {}}
    finally:
        if b is not None:
            stop(b)
        if receiver.server is None:
            receiver.start()
        if platform.proc is None:
            platform.serve()  # the module's platform serves on for whatever runs after
