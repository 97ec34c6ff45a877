"""Crash safety (issue 8, item 3): the server is killed with SIGKILL at random moments while department
systems issue licenses (render, seal, store, record) and a citizen submits applications, and while the
background task seals the work log; after every restart the clients retry what was not acknowledged.

Invariants checked at the end: every license row has its blob and the SHA-256 matches; every acknowledged
submission and issuance exists exactly once under its Idempotency-Key, and every retried one too; every
license and application has its work-log entry; ``onenumber worklog verify`` passes; after ``onenumber
storage gc --grace-hours 0`` no orphan blob (or temp file) survives and every referenced blob is there.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.db import make_engine, make_sessionmaker
from core.worklog.models import WorkLogEntry
from storage import LocalBlobStore
from tests.helpers.ops_helpers import (
    ROOT,
    Instance,
    birth_registration,
    business_license,
    department_token,
    drop_database,
    marriage_of,
    new_database,
    person_token,
)
from wallet.applications.models import Application
from wallet.blobs import referenced_blob_keys
from wallet.licenses.models import License, LicenseSerial, SerialReservation

pytestmark = pytest.mark.slow
KILLS = int(os.environ.get("ONENUMBER_CRASH_KILLS", "8"))
MIN_KILLS = 3
# Wall-clock budget of the kill loop: on a loaded machine (server start-up is ~4 s of imports when idle)
# fewer rounds run, never fewer than MIN_KILLS; the summary says how many.
BUDGET_SECONDS = float(os.environ.get("ONENUMBER_CRASH_BUDGET", "75"))
MASTER_KEY = "crash-master-key-0123456789abcdef0123456789"


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged, per Idempotency-Key."""

    sent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # key → (path, body)
    acked: dict[str, str] = field(default_factory=dict)  # key → serial or license identifier
    retried: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, client: httpx.Client, path: str, key: str, body: dict[str, Any], token: str) -> bool:
        """POST with an Idempotency-Key; record the acknowledgement (a kill mid-request leaves none)."""
        with self.lock:
            self.sent[key] = (path, body)
        try:
            response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}",
                                                             "Idempotency-Key": key})
        except httpx.HTTPError:
            return False  # the server died under us: not acknowledged, the client will retry
        if response.status_code >= 500:  # a 5xx while dying is no acknowledgement either
            return False
        assert response.status_code in (200, 201), f"{path} {key}: {response.status_code} {response.text[:500]}"
        data = response.json()
        with self.lock:
            previous = self.acked.get(key)
            ref = str(data.get("serial") or data["identifier"])
            assert previous in (None, ref), f"{key} acknowledged as {previous} and then as {ref}"
            self.acked[key] = ref
        return True


def _load(stop: threading.Event, step: Callable[[int], bool]) -> None:
    """Send requests until told to stop or until one fails (the server is down: wait for the restart)."""
    n = 0
    while not stop.is_set():
        n += 1
        if not step(n):
            return


def test_sigkill_during_issuance_sealing_and_submission(tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(int(os.environ.get("ONENUMBER_CRASH_SEED", "20260308")))
    url = new_database(tmp_path)
    inst = Instance(url, tmp_path / "blobs", MASTER_KEY)
    log = tmp_path / "server.log"
    ledger = Ledger()
    try:
        inst.cli("db", "upgrade")
        inst.cli("seed")
        proc = inst.serve(log)
        dept, citizen = department_token(inst.url), person_token(inst.url)
        marriage = marriage_of(inst.url, citizen)
        kills = 0
        for round_no in range(KILLS):
            if kills >= MIN_KILLS and time.monotonic() - started > BUDGET_SECONDS:
                break
            stop = threading.Event()
            with httpx.Client(base_url=inst.url, timeout=20) as client:

                def issue(n: int, r: int = round_no, c: httpx.Client = client) -> bool:
                    return ledger.post(c, "/api/licenses", f"lic-{r}-{n}", business_license(r * 1000 + n), dept)

                def submit(n: int, r: int = round_no, c: httpx.Client = client) -> bool:
                    return ledger.post(c, "/api/applications", f"app-{r}-{n}", birth_registration(marriage), citizen)

                workers = [threading.Thread(target=_load, args=(stop, f)) for f in (issue, issue, submit, submit)]
                for w in workers:
                    w.start()
                time.sleep(rng.uniform(0.4, 2.0))
                proc.kill()  # SIGKILL: no shutdown handler runs
                proc.wait(timeout=10)
                kills += 1
                stop.set()
                for w in workers:
                    w.join(timeout=30)
            proc = inst.serve(log)
            _retry_unacknowledged(inst, ledger, dept, citizen)
        proc.terminate()
        proc.wait(timeout=20)

        assert set(ledger.acked) == set(ledger.sent), "a retried request was not acknowledged"
        orphans = _check_invariants(inst, ledger)
        dialect = url.split(":", 1)[0]
        summary = (f"crash safety: {kills} kills survived ({dialect}; "
                   f"{sum(k.startswith('lic') for k in ledger.acked)} "
                   f"issuances, {sum(k.startswith('app') for k in ledger.acked)} submissions, "
                   f"{ledger.retried} retried after a kill, {orphans} orphan blobs collected, "
                   f"{time.monotonic() - started:.0f} s)")
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        (ROOT / "test-artifacts" / "crash.summary.txt").write_text(summary + "\n")
        print(summary)
    finally:
        drop_database(url)


def _retry_unacknowledged(inst: Instance, ledger: Ledger, dept: str, citizen: str) -> None:
    """After a restart, send every unacknowledged request again with its Idempotency-Key."""
    with httpx.Client(base_url=inst.url, timeout=30) as client:
        for key, (path, body) in sorted(ledger.sent.items()):
            if key not in ledger.acked:
                ledger.retried += 1
                ledger.post(client, path, key, body, dept if path == "/api/licenses" else citizen)
                assert key in ledger.acked, f"retry of {key} after the restart failed"


def _check_invariants(inst: Instance, ledger: Ledger) -> int:
    store = LocalBlobStore(inst.blob_dir)
    engine = make_engine(inst.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            licenses = session.execute(select(License)).scalars().all()
            for lic in licenses:  # every license has its blob, and the blob is the registered PDF
                pdf = store.get(lic.pdf_blob_key)
                assert hashlib.sha256(pdf).hexdigest() == lic.pdf_sha256 == lic.pdf_blob_key
                assert len(pdf) == lic.pdf_size
            keyed_licenses = {lic.idempotency_key: lic.identifier for lic in licenses if lic.idempotency_key}
            apps = session.execute(select(Application.idempotency_key, Application.serial)).all()
            keyed_apps = [key for key, _ in apps if key]
            assert len(keyed_apps) == len(set(keyed_apps)), "an application was duplicated"
            acked_lic = {k: v for k, v in ledger.acked.items() if k.startswith("lic-")}
            acked_app = {k: v for k, v in ledger.acked.items() if k.startswith("app-")}
            assert keyed_licenses == acked_lic, "licenses differ from what the clients were told"
            assert {k: s for k, s in apps if k} == acked_app, "applications lost or duplicated"
            logged = set(session.execute(select(WorkLogEntry.object)).scalars())
            assert {f"license:{lic.identifier}" for lic in licenses} <= logged
            assert {f"application:{serial}" for _, serial in apps} <= logged
            app_count = session.execute(select(func.count()).select_from(Application)).scalar_one()
            assert app_count == len(acked_app)
            referenced = referenced_blob_keys(session)
            # serial numbers: every one drawn is on a committed license or waits in a reservation (a kill
            # mid-issuance leaves one that goes stale and is issued again): no number is burnt
            for type_id, issuer_id, next_serial in session.execute(
                select(LicenseSerial.type_id, LicenseSerial.issuer_id, LicenseSerial.next_serial)
            ):
                drawn = set(session.execute(select(License.serial).where(
                    License.type_id == type_id, License.issuer_id == issuer_id)).scalars())
                drawn |= set(session.execute(select(SerialReservation.serial).where(
                    SerialReservation.type_id == type_id, SerialReservation.issuer_id == issuer_id)).scalars())
                assert sorted(int(s[4:]) for s in drawn) == list(range(1, next_serial)), "a serial was burnt"
    finally:
        engine.dispose()
    verified = inst.cli("worklog", "verify")
    assert "work log intact" in verified.stdout
    gc = inst.cli("storage", "gc", "--grace-hours", "0")
    stored = {info.key for info in store.list()}
    assert stored == referenced, f"orphans {stored - referenced}, missing {referenced - stored}"
    assert not [p for p in inst.blob_dir.rglob(".tmp-*")], "a temp file of an interrupted write survived gc"
    return gc.stdout.count("deleted ")
