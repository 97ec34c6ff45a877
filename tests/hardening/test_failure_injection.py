"""All-or-nothing state changes (issue 15, item 1): every multi-step action is driven over HTTP while a fault
is injected at each of its steps in turn, and the state afterwards is either exactly the state before or
the action fully done — counted over every table and every blob.

Faults, each at the 1st, 2nd, … point of the action until the action runs past all of them:

- ``database``: the N-th writing statement or commit of the request raises ``OperationalError`` (a dropped
  connection or a failed disk, as the driver reports it);
- ``storage``: the N-th blob put or delete raises ``StorageError`` (the S3 server went away);
- ``validation``: a bad input per action, which must be refused before anything is written.

A process killed halfway is driven separately with SIGKILL against a real server
(tests/hardening/test_crash_safety.py); here a kill would only skip the clean-up that the database's own
rollback makes unnecessary.

"Before" and "after" are a digest of every row of every table (minus the logs of attempts and the
per-address counters listed in ``VOLATILE``) and the set of blobs; "fully done" is the same change of row
counts, table by table, as a run without any fault. Serial reservations may be left released (a released
serial is handed to the next issuance), never held.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from core.db import Base
from core.runtime import runtime_of
from storage import StorageError
from storage.deps import BLOB_STORE
from wallet.licenses.models import SerialReservation

pytestmark = pytest.mark.slow

ZHANG = ("张三", "11010519491231002X")
LI = ("李四", "110102199101010078")
BIRTH_REGISTRATION = "WSJK-GG-0001"
ELDERLY_CARD = "MZ-GG-0001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SUMMARY = Path("test-artifacts") / "faults.summary.txt"

# Tables that record attempts or per-address counters, not the action's state: a failed request may add to
# them (a refused request is still logged as an access), and reads change them.
VOLATILE = {
    "wallet_access_log",
    "idp_login_throttle",
    "idp_session_client",
    "wallet_serial_reservation",  # checked on its own: released rows may stay, held ones may not
    "wallet_license_serial",  # a serial drawn for a failed issuance is handed on (checked by ``gapless``)
    "work_log_head",
}


class Faults:
    """Counts the injection points of requests and fails the chosen one."""

    def __init__(self, engine: Any, app: Any) -> None:
        self.engine = engine
        self.app = app
        self.kind: str | None = None
        self.at = 0
        self.seen = 0
        self.fired = False
        self.armed = False
        # Faults are raised where the driver raises them (inside SQLAlchemy's DBAPI error handling), so the
        # connection is treated exactly as after a real failure.
        self.dbapi_error = engine.dialect.loaded_dbapi.OperationalError
        for name in ("do_execute", "do_executemany", "do_execute_no_params"):
            event.listen(engine, name, self._statement)
        self._do_commit = engine.dialect.do_commit
        engine.dialect.do_commit = self._commit
        self.store = runtime_of(app).get(BLOB_STORE)
        runtime_of(app).put(BLOB_STORE, _FailingStore(self.store, self))

    def close(self) -> None:
        for name in ("do_execute", "do_executemany", "do_execute_no_params"):
            event.remove(self.engine, name, self._statement)
        self.engine.dialect.do_commit = self._do_commit
        runtime_of(self.app).put(BLOB_STORE, self.store)

    @contextmanager
    def arm(self, kind: str | None, at: int) -> Iterator[None]:
        self.kind, self.at, self.seen, self.fired, self.armed = kind, at, 0, False, True
        self.trail: list[str] = []
        try:
            yield
        finally:
            self.armed = False

    def point(self, kind: str, what: str) -> None:
        if not self.armed or self.kind != kind:
            return
        self.seen += 1
        self.trail.append(what[:70])
        if self.seen == self.at:
            self.fired = True
            if kind == "database":
                raise self.dbapi_error("injected: server closed the connection unexpectedly")
            raise StorageError(f"injected storage fault at {what}")

    def _statement(self, cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.point("database", statement)

    def _commit(self, dbapi_connection: Any) -> None:
        try:
            self.point("database", "COMMIT")
        except self.dbapi_error:
            dbapi_connection.rollback()  # the server lost the transaction with the connection
            raise
        self._do_commit(dbapi_connection)


class _FailingStore:
    """The app's blob store with a fault at the chosen put or delete."""

    def __init__(self, inner: Any, faults: Faults) -> None:
        self._inner, self._faults = inner, faults

    def put(self, data: bytes, **kw: Any) -> Any:
        self._faults.point("storage", "put")
        return self._inner.put(data, **kw)

    def put_stream(self, stream: Any, size: int, **kw: Any) -> Any:
        self._faults.point("storage", "put_stream")
        return self._inner.put_stream(stream, size, **kw)

    def delete(self, key: str) -> None:
        self._faults.point("storage", "delete")
        self._inner.delete(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass(frozen=True)
class State:
    digest: dict[str, str]
    counts: dict[str, int]
    blobs: frozenset[str]
    held: int  # serial reservations not released


def snapshot(app: Any, store: Any) -> State:
    digest, counts = {}, {}
    with runtime_of(app).engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            counts[table.name] = len(rows)
        held = conn.execute(
            select(text("count(*)")).select_from(SerialReservation.__table__)
            .where(SerialReservation.released.is_(False))
        ).scalar_one()
    return State(digest, counts, frozenset(b.key for b in store.list()), int(held))


def _moved(before: State, after: State) -> list[str]:
    return sorted(t for t in after.digest if after.digest[t] != before.digest.get(t))


def gapless(app: Any) -> None:
    """Every serial ever drawn is on a committed license or waits, released, for the next issuance."""
    from wallet.licenses.models import License, LicenseSerial

    with runtime_of(app).engine.connect() as conn:
        for type_id, issuer_id, next_serial in conn.execute(
            select(LicenseSerial.type_id, LicenseSerial.issuer_id, LicenseSerial.next_serial)
        ):
            used = set(conn.execute(select(License.serial).where(
                License.type_id == type_id, License.issuer_id == issuer_id)).scalars())
            waiting = set(conn.execute(select(SerialReservation.serial).where(
                SerialReservation.type_id == type_id, SerialReservation.issuer_id == issuer_id)).scalars())
            numbers = sorted(int(s[4:]) for s in used | waiting)
            assert numbers == list(range(1, next_serial)), (type_id, numbers, next_serial)


def delta(before: State, after: State) -> dict[str, int]:
    return {t: after.counts[t] - before.counts[t] for t in after.counts if after.counts[t] != before.counts[t]}


@dataclass
class Action:
    """One multi-step action: ``prepare`` makes a fresh target, ``run`` sends the request."""

    name: str
    prepare: Callable[[Any], dict[str, Any]]
    run: Callable[[Any, dict[str, Any]], Any]
    bad: Callable[[Any, dict[str, Any]], Any]  # a refused variant (bad input)
    ok: tuple[int, ...] = (200, 201)


def _json(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), response.text[:600]
    return response.json()


def _submit(world: Any, _t: dict[str, Any] | None = None, **over: Any) -> Any:
    body = {"item": BIRTH_REGISTRATION, "commitments": ["children"],
            "selections": {"marriage": world.refs["license_a"]}, "form": {"birth_form": {"applicant": ZHANG[0]}}}
    return world.api("holder_a", "POST", "/api/applications", json={**body, **over})


def _fresh_application(world: Any) -> dict[str, Any]:
    return {"serial": _json(_submit(world))["serial"]}


def _review(role: str, **body: Any) -> Callable[[Any, dict[str, Any]], Any]:
    return lambda world, t: world.api(role, "POST", f"/api/applications/{t['serial']}/review", json=body)


def _to_supplement(world: Any) -> dict[str, Any]:
    target = _fresh_application(world)
    _json(_review("approver_x", decision="supplement", items=[{"note": "请补充出生医学证明复印件"}])(world, target))
    return target


def _elderly_card_application(world: Any) -> dict[str, Any]:
    _json(world.api("clerk_x", "POST", "/api/applications/materials",
                    data={"item": ELDERLY_CARD, "requirement": "photo", "number": ZHANG[1], "name": ZHANG[0]},
                    files={"file": ("photo.png", PNG, "image/png")}))
    taken = _json(world.api("clerk_x", "POST", "/api/counter/applications", json={
        "item": ELDERLY_CARD, "number": ZHANG[1], "name": ZHANG[0], "centre": "HALL-EAST",
        "form": {"card_form": {"phone": "13800000000"}}}))
    return {"serial": taken["serial"]}


def _birth_license(world: Any, _t: dict[str, Any] | None = None, **over: Any) -> Any:
    body = {"type_code": world.refs["birth_type"], "holder_number": LI[1], "holder_name": LI[0],
            "data": world.refs["birth_data"]}
    return world.api("clerk_x", "POST", "/api/licenses", json={**body, **over})


def _fresh_license(world: Any) -> dict[str, Any]:
    return {"identifier": _json(_birth_license(world))["identifier"]}


def _license_call(action: str, **body: Any) -> Callable[[Any, dict[str, Any]], Any]:
    return lambda world, t: world.api("clerk_x", "POST", f"/api/licenses/{t['identifier']}/{action}", json=body)


def _counter_photo(world: Any, _t: dict[str, Any]) -> Any:
    return world.api("clerk_x", "POST", "/api/applications/materials",
                     data={"item": ELDERLY_CARD, "requirement": "photo", "number": ZHANG[1], "name": ZHANG[0]},
                     files={"file": ("photo.png", PNG, "image/png")})


ACTIONS = [
    Action("submit", lambda w: {}, _submit, lambda w, t: _submit(w, item="NO-SUCH-ITEM")),
    Action("approve and conclude", _fresh_application, _review("approver_x", decision="approve"),
           _review("approver_x", decision="approve", reasons=["合格" * 400])),
    Action("approve, conclude and issue a license", _elderly_card_application,
           _review("approver_y", decision="approve",
                   license_data={"sex": "女", "born_on": "1949-12-31", "card_no": "MZ-0001"}),
           _review("approver_y", decision="approve", license_data={"sex": "未知"})),
    Action("reject", _fresh_application, _review("approver_x", decision="reject", reasons=["材料不齐全"]),
           _review("approver_x", decision="reject", reasons=[])),
    Action("request a supplement", _fresh_application,
           _review("approver_x", decision="supplement", items=[{"note": "请补充出生医学证明复印件"}]),
           _review("approver_x", decision="supplement", items=[])),
    Action("supplement", _to_supplement,
           lambda w, t: w.api("holder_a", "POST", f"/api/applications/{t['serial']}/supplement",
                              json={"commitments": ["children"]}),
           lambda w, t: w.api("holder_a", "POST", f"/api/applications/{t['serial']}/supplement",
                              json={"form": "not-an-object"})),
    Action("counter material upload", lambda w: {}, _counter_photo,
           lambda w, t: w.api("clerk_x", "POST", "/api/applications/materials",
                              data={"item": ELDERLY_CARD, "requirement": "photo", "number": "123", "name": "x"},
                              files={"file": ("photo.png", PNG, "image/png")})),
    Action("counter acceptance", lambda w: {},
           lambda w, t: w.api("clerk_x", "POST", "/api/counter/applications", json={
               "item": BIRTH_REGISTRATION, "number": ZHANG[1], "name": ZHANG[0], "centre": "HALL-EAST",
               "commitments": ["children"], "selections": {"marriage": w.refs["license_a"]},
               "form": {"birth_form": {"applicant": ZHANG[0]}}}),
           lambda w, t: w.api("clerk_x", "POST", "/api/counter/applications", json={
               "item": BIRTH_REGISTRATION, "number": ZHANG[1][:-1] + "0", "name": ZHANG[0]})),
    Action("issue", lambda w: {}, _birth_license, lambda w, t: _birth_license(w, data={"sex": "未知"})),
    Action("renew", _fresh_license, _license_call("renew", reason="到期换证"),
           _license_call("renew", valid_from="2030-01-01", valid_until="2029-01-01")),
    Action("change", _fresh_license, _license_call("change", data={"birthplace": "北京市"}, reason="更正"),
           _license_call("change", data={"sex": "未知"})),
    Action("suspend", _fresh_license, _license_call("suspend", reason="核查中"),
           _license_call("suspend", reason=f"持证人 {LI[1]}")),
]


@pytest.fixture
def settings(settings: Any, world_tools: Any) -> Any:
    """No background work-log sealing (it rewrites rows between the snapshots), no rate limits."""
    return world_tools.relaxed(settings).model_copy(update={"worklog_seal_interval": 0})


@pytest.fixture
def faulty(world: Any) -> Iterator[tuple[Any, Faults]]:
    app = world.app
    birth = next(x for x in _json(world.api("holder_b", "GET", "/api/wallet/licenses"))
                 if x["license_type"]["code"] == world.refs["birth_type"])
    world.refs["birth_data"] = birth["data"]
    faults = Faults(runtime_of(app).engine, app)
    try:
        yield world, faults
    finally:
        faults.close()


def _counted(name: str, attempts: int, points: int, done_after_fault: int) -> None:
    SUMMARY.parent.mkdir(exist_ok=True)
    with SUMMARY.open("a") as out:
        out.write(f"{name}\t{attempts}\t{points}\t{done_after_fault}\n")


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_every_step_fails_cleanly(faulty: tuple[Any, Faults], action: Action) -> None:
    world, faults = faulty
    store = faults.store
    # a run without faults: what "fully done" changes
    target = action.prepare(world)
    before = snapshot(world.app, store)
    _json(action.run(world, target), *action.ok)
    done = snapshot(world.app, store)
    reference, reference_blobs = delta(before, done), len(done.blobs - before.blobs)
    assert reference, f"{action.name} changed nothing"
    # bad input: refused, nothing changed
    target = action.prepare(world)
    before = snapshot(world.app, store)
    refused = action.bad(world, target)
    assert 400 <= refused.status_code < 500, (action.name, refused.status_code, refused.text[:300])
    assert snapshot(world.app, store) == before, f"{action.name}: a refused request changed the state"
    attempts = points = completed = 0
    for kind in ("database", "storage"):
        target, at = action.prepare(world), 0
        while True:
            at += 1
            before = snapshot(world.app, store)
            with faults.arm(kind, at):
                try:
                    response = action.run(world, target)
                    status = response.status_code
                except (OperationalError, StorageError):
                    status = 500  # escaped the app: itself a failure (reported below)
                    response = None
            after = snapshot(world.app, store)
            attempts += 1
            if not faults.fired:
                assert status in action.ok, (action.name, kind, at, status)
                break
            points += 1
            assert status < 500 or status == 503, (
                f"{action.name}: {kind} fault #{at} answered {status}: "
                f"{response.text[:300] if response is not None else 'exception escaped'}")
            assert after.held == 0, f"{action.name}: {kind} fault #{at} left a serial held: {faults.trail}"
            gapless(world.app)
            if after == before:
                assert status >= 400, f"{action.name}: {kind} fault #{at}: success answered, nothing stored"
                continue
            changed = delta(before, after)
            assert changed == reference, (
                f"{action.name}: {kind} fault #{at} left a partial state: {changed} (done is {reference}), "
                f"rows changed in {_moved(before, after)}, blobs {sorted(after.blobs ^ before.blobs)}; "
                f"answered {status}")
            assert len(after.blobs - before.blobs) == reference_blobs, (
                f"{action.name}: {kind} fault #{at}: done, but with blobs {sorted(after.blobs ^ before.blobs)}")
            completed += 1
            target = action.prepare(world)  # done despite the fault (it struck after the commit): next target
    _counted(action.name, attempts, points, completed)


def test_a_reclaimed_serial_is_issued_again(faulty: tuple[Any, Faults]) -> None:
    """A reservation whose process died (stale) goes to the next issuance; the numbering stays dense."""
    world, faults = faulty
    _json(_birth_license(world))
    with runtime_of(world.app).sessionmaker() as session:
        held = SerialReservation(type_id=_type_id(session, world), issuer_id=_issuer_id(session, world),
                                 serial="209900000001", reserved_at=datetime.now(UTC) - timedelta(hours=1),
                                 released=False)
        session.add(held)
        session.commit()
    issued = _json(_birth_license(world))
    assert "209900000001" in issued["identifier"].replace("-", ""), issued["identifier"]


def _type_id(session: Any, world: Any) -> int:
    from wallet.catalog.models import LicenseType

    return int(session.execute(select(LicenseType.id).where(
        LicenseType.type_code == world.refs["birth_type"])).scalar_one())


def _issuer_id(session: Any, world: Any) -> int:
    from wallet.catalog.models import Department

    return int(session.execute(select(Department.id).where(
        Department.credit_code == world.refs["dept_x"])).scalar_one())
