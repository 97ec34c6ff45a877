"""The purge (issue 15): rows past their use go, live ones stay, the revocation list stays right; the app's
scheduled task really runs; ``onenumber purge`` prints what it deleted; two purges at once are harmless."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from channels import sessions as web_sessions
from channels.models import WebSession
from core.clock import utcnow
from core.db import make_sessionmaker
from core.runtime import runtime_of
from core.settings import Settings
from idp import revocations
from idp.oauth.models import (
    AccessToken,
    AuthorizationCode,
    Client,
    DeviceCode,
    DeviceThrottle,
    RefreshToken,
    SessionClient,
    SsoSession,
)
from idp.parties.models import LoginThrottle, NumberAttempt, Person, ProofingCheck, ResetCode
from idp.purge import REVOCATION_GRACE
from onenumber import purge
from onenumber.app import create_app

H = timedelta(hours=1)


def _person(session: Session) -> Person:
    person = Person(sub="sub-purge", number_cipher="x", number_index="idx-purge", name="测试", password_hash="x")
    session.add(person)
    session.add(Client(client_id="c-purge", name="purge client", kind="web"))
    session.flush()
    return person


def _web_session(session: Session, settings: Settings, name: str, channel: str, *, seen: datetime,
                 expires: datetime) -> str:
    state, _ = web_sessions.create(session=session, settings=settings, channel=channel, data={"who": name})
    row = session.get(WebSession, state.row_id)
    assert row is not None
    row.last_seen_at, row.expires_at = seen, expires
    return row.id


def _device(name: str, *, expires: datetime, status: str = "pending") -> DeviceCode:
    return DeviceCode(device_code_hash=f"dc-{name}", user_code=name[:16], client_id="c-purge", scope="openid",
                      status=status, expires_at=expires)


def _code(name: str, person: Person, *, expires: datetime, used: datetime | None = None) -> AuthorizationCode:
    return AuthorizationCode(code_hash=f"ac-{name}", client_id="c-purge", person_id=person.id, sid="s",
                             redirect_uri="http://x/cb", scope="openid", acr="low", auth_time=utcnow(),
                             expires_at=expires, used_at=used)


def _refresh(name: str, *, expires: datetime, revoked: datetime | None = None) -> RefreshToken:
    return RefreshToken(token_hash=f"rt-{name}", family=f"f-{name}", client_id="c-purge", scope="openid",
                        expires_at=expires, revoked_at=revoked)


def _sso(name: str, person: Person, *, expires: datetime) -> SsoSession:
    return SsoSession(sid=f"sid-{name}", secret_hash="x", person_id=person.id, acr="low",
                      auth_time=expires - 12 * H, expires_at=expires)


def _seed(session: Session, settings: Settings) -> dict[str, Any]:
    """Rows of every purged kind: some past their use, some still in use (their keys by fate)."""
    now = utcnow()
    person = _person(session)
    web_gone = [
        _web_session(session, settings, "absolute", "hall", seen=now, expires=now - timedelta(seconds=1)),
        _web_session(session, settings, "idle hall", "hall", seen=now - H, expires=now + H),
        _web_session(session, settings, "idle kiosk", "kiosk", seen=now - timedelta(minutes=5), expires=now + H),
    ]
    web_kept = [
        _web_session(session, settings, "live hall", "hall", seen=now - timedelta(minutes=20), expires=now + H),
        _web_session(session, settings, "live kiosk", "kiosk", seen=now - timedelta(seconds=30), expires=now + H),
    ]
    session.add_all([
        _device("GONE-0001", expires=now - timedelta(seconds=1)),
        _device("GONE-0002", expires=now - H, status="used"),
        _device("KEEP-0001", expires=now + timedelta(minutes=5)),
        _code("gone", person, expires=now - timedelta(seconds=1), used=now - timedelta(minutes=2)),
        _code("keep", person, expires=now + timedelta(seconds=30)),
        _refresh("gone", expires=now - timedelta(seconds=1)),
        _refresh("gone-revoked", expires=now - H, revoked=now - 2 * H),
        _refresh("keep", expires=now + H, revoked=now),
        # revocations: gone once the token is past exp + grace; kept while the token could still be shown
        AccessToken(jti="jti-gone", client_id="c-purge", sub="s", expires_at=now - 2 * REVOCATION_GRACE),
        AccessToken(jti="jti-in-grace", client_id="c-purge", sub="s", expires_at=now - timedelta(seconds=5)),
        AccessToken(jti="jti-live", client_id="c-purge", sub="s", expires_at=now + timedelta(minutes=5)),
        _sso("gone", person, expires=now - 2 * 24 * H),
        _sso("recent", person, expires=now - timedelta(minutes=5)),  # its tokens may still be valid
        _sso("live", person, expires=now + H),
        ResetCode(person_id=person.id, code_hash="rc-gone", issued_by="x", expires_at=now - timedelta(seconds=1)),
        ResetCode(person_id=person.id, code_hash="rc-keep", issued_by="x", expires_at=now + H),
        LoginThrottle(key="account:lock-over", failures=5, locked_until=now - timedelta(seconds=1)),
        LoginThrottle(key="address:cleared", failures=0, locked_until=None),
        LoginThrottle(key="account:locked", failures=5, locked_until=now + H),
        LoginThrottle(key="account:counting", failures=2, locked_until=None),
        DeviceThrottle(key="address:forgotten", failures=3, locked_until=None, updated_at=now - 2 * H),
        DeviceThrottle(key="address:waiting", failures=9, locked_until=now + H, updated_at=now - 2 * H),
        NumberAttempt(number_index="n-old", kind="register", created_at=now - 2 * 24 * H),
        NumberAttempt(number_index="n-today", kind="register", created_at=now - H),
        ProofingCheck(person_id=person.id, provider="p", transaction="t-old", nonce="n-old", phone="1",
                      expires_at=now - 2 * 24 * H),
        ProofingCheck(person_id=person.id, provider="p", transaction="t-new", nonce="n-new", phone="1",
                      expires_at=now + timedelta(minutes=5)),
    ])
    session.flush()
    session.add(SessionClient(sid="sid-gone", client_id="c-purge"))
    session.add(SessionClient(sid="sid-live", client_id="c-purge"))
    session.commit()
    return {"web_gone": web_gone, "web_kept": web_kept}


def _keys(session: Session, column: Any) -> set[Any]:
    return set(session.scalars(select(column)))


def test_purge_removes_rows_past_use_and_keeps_live_ones(session: Session, settings: Settings) -> None:
    seeded = _seed(session, settings)
    report = purge.run(session=session, settings=settings)
    assert report.counts == {
        "wallet_web_session": 3,
        "idp_device_code": 2,
        "idp_authorization_code": 1,
        "idp_refresh_token": 2,
        "idp_access_token": 1,
        "idp_sso_session": 1,
        "idp_reset_code": 1,
        "idp_login_throttle": 2,
        "idp_device_throttle": 1,
        "idp_number_attempt": 1,
        "idp_proofing_check": 1,
        "idp_logout_delivery": 0,  # its own rules: tests/idp/test_idp_logout_outbox.py
    }
    assert report.total == 16 and not report.skipped
    session.expire_all()
    assert _keys(session, WebSession.id) == set(seeded["web_kept"])
    assert _keys(session, DeviceCode.user_code) == {"KEEP-0001"}
    assert _keys(session, AuthorizationCode.code_hash) == {"ac-keep"}
    assert _keys(session, RefreshToken.token_hash) == {"rt-keep"}
    assert _keys(session, AccessToken.jti) == {"jti-in-grace", "jti-live"}
    assert _keys(session, SsoSession.sid) == {"sid-recent", "sid-live"}
    assert _keys(session, SessionClient.sid) == {"sid-live"}
    assert _keys(session, ResetCode.code_hash) == {"rc-keep"}
    assert _keys(session, LoginThrottle.key) == {"account:locked", "account:counting"}
    # a revoked token that is still valid stays revoked (the view reloads from the rows kept)
    assert revocations.is_revoked(session=session, claims={"jti": "jti-live"})
    # the kept sessions still load (the purge does what load would do, nothing more)
    again = purge.run(session=session, settings=settings)
    assert again.total == 0


def test_purge_goes_through_a_backlog_in_batches(session: Session, settings: Settings) -> None:
    _person(session)
    past = utcnow() - H
    session.add_all([_device(f"BACK-{i:04d}", expires=past) for i in range(7)])
    session.add(_device("LIVE-0001", expires=utcnow() + H))
    session.commit()
    report = purge.run(session=session, settings=settings, batch=2)
    assert report.counts["idp_device_code"] == 7
    assert _keys(session, DeviceCode.user_code) == {"LIVE-0001"}


def test_two_purges_at_once_are_harmless(engine: Engine, settings: Settings) -> None:
    """Several instances purge on their own schedule: together they delete each row once and never fail."""
    factory = make_sessionmaker(engine)
    with factory() as session:
        _person(session)
        past = utcnow() - H
        session.add_all([_device(f"BOTH-{i:04d}", expires=past) for i in range(40)])
        session.commit()
    reports: list[purge.PurgeReport] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            with factory() as s:
                reports.append(purge.run(session=s, settings=settings, batch=5))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.counts.get("idp_device_code", 0) for r in reports) == 40
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(DeviceCode)) == 0


def _expired_web_session(factory: Any, settings: Settings) -> str:
    with factory() as session:
        now = utcnow()
        row_id = _web_session(session, settings, "old", "hall", seen=now - H, expires=now - timedelta(seconds=1))
        session.commit()
    return row_id


def _purged(app: Any, model: Any, key: str, failure: str) -> None:
    """Wait (up to 10 s) until the running app's scheduled purge has deleted the row ``key`` of ``model``."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with runtime_of(app).sessionmaker() as session:
            if session.get(model, key) is None:
                return
        time.sleep(0.05)
    raise AssertionError(failure)


def test_the_app_purges_on_its_schedule(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"purge_interval": 0.05}))
    row_id = _expired_web_session(runtime_of(app).sessionmaker, settings)
    with TestClient(app):
        _purged(app, WebSession, row_id, "the scheduled purge did not remove the expired session")


def test_a_revoked_token_stays_refused_until_it_expires_then_the_schedule_purges_its_row(
    settings: Settings, engine: Engine
) -> None:
    """Over HTTP: /revoke writes a row, /introspect says inactive while the token would still be valid, and the
    running app's scheduled purge deletes the row once the token is past its exp plus the grace."""
    from idp.oauth import clients as client_service

    app = create_app(settings.model_copy(update={"purge_interval": 0.05}))
    with runtime_of(app).sessionmaker() as session:
        client_service.create(session=session, settings=settings, client_id="purge-rs", name="资源服务", kind="department",
                              grant_types=["client_credentials"], scopes=["license:verify"], secret="purge-rs-secret-0123",
                              department_code="11110000000245016J")
        session.commit()
    auth = ("purge-rs", "purge-rs-secret-0123")
    with TestClient(app) as client:
        token = client.post("/token", data={"grant_type": "client_credentials", "scope": "license:verify"}, auth=auth)
        assert token.status_code == 200, token.text
        access = token.json()["access_token"]
        assert client.post("/introspect", data={"token": access}, auth=auth).json()["active"] is True
        assert client.post("/revoke", data={"token": access}, auth=auth).status_code == 200
        time.sleep(0.3)  # several purge runs: the row of a token that is still valid stays, and so does the refusal
        with runtime_of(app).sessionmaker() as session:
            (row,) = session.scalars(select(AccessToken)).all()
            jti = row.jti
        assert client.post("/introspect", data={"token": access}, auth=auth).json()["active"] is False
        with runtime_of(app).sessionmaker() as session:  # the token's life (and the grace) has run out
            row = session.get(AccessToken, jti)
            assert row is not None
            row.expires_at = utcnow() - REVOCATION_GRACE - timedelta(seconds=1)
            session.commit()
        _purged(app, AccessToken, jti, "the scheduled purge did not remove the expired revocation")


def test_an_interval_of_zero_turns_the_schedule_off(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"purge_interval": 0}))
    row_id = _expired_web_session(runtime_of(app).sessionmaker, settings)
    with TestClient(app):
        time.sleep(0.3)
    with runtime_of(app).sessionmaker() as session:
        assert session.get(WebSession, row_id) is not None


def test_cli_purge_prints_the_counts(session: Session, settings: Settings) -> None:
    _seed(session, settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONENUMBER_")}
    env.update(ONENUMBER_DATABASE_URL=settings.database_url, ONENUMBER_SECRET_KEY=settings.secret_key,
               ONENUMBER_STORAGE_URL=settings.storage_url)
    done = subprocess.run([sys.executable, "-m", "onenumber", "purge"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {line.split()[0]: line.split()[-1] for line in done.stdout.splitlines() if line.startswith("  ")}
    assert lines["wallet_web_session"] == "3" and lines["idp_device_code"] == "2"
    assert lines["idp_access_token"] == "1" and lines["idp_login_throttle"] == "2"
    assert done.stdout.strip().endswith("purged 16 expired rows")
    again = subprocess.run([sys.executable, "-m", "onenumber", "purge"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.stdout.strip().endswith("purged 0 expired rows")
