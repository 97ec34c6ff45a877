"""Benchmark orchestrator behind ``make bench`` (tools/bench.sh starts the servers, this measures).

    python -m bench.harness.run --ours http://127.0.0.1:P --ours-pid PID --peer http://127.0.0.1:Q \
        --peer-pid PID --database-url postgresql://... --out DIR

Every figure that can run, runs; anything that cannot is recorded as "not measured: <reason>".
Side-by-side figures alternate ours / peer for each of ``--runs`` rounds with the same load generator
(its own process: bench/wrkgen.py, which drives wrk, when wrk is installed and ``BENCH_LOADGEN`` is not
``python``; bench/loadgen.py otherwise) and concurrency; the table shows medians over the rounds.
Results go to DIR/results.json and the top sections of docs/BENCHMARKS.md (bench/harness/report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.harness import flows, procs, report

ROOT = Path(__file__).resolve().parents[2]
FORM = "application/x-www-form-urlencoded"
VERIFIER = ("demo-verifier", "demo-verifier-secret")
RP = flows.RelyingParty("demo-rp", "http://127.0.0.1:3000/cb", "openid profile offline_access")
ZHANGSAN = ("11010519491231002X", "Zhangsan-2026")
RESOURCE = "urn:onenumber:api"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Harness:
    """State of one benchmark run."""

    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        self.out = Path(a.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.figures: dict[str, dict[str, Any]] = {}
        self.rss: dict[str, dict[int, float]] = {"ours": {}, "peer": {}}
        self.commands: list[str] = []
        self.ours_workers = procs.uvicorn_workers(a.ours_pid) if a.ours_pid else []
        self.peer_workers = procs.node_workers(a.peer_pid) if a.peer_pid else []
        self.bulk: dict[str, Any] = {}
        # the load generator: wrk (bench/wrkgen.py) unless it is missing or BENCH_LOADGEN=python
        self.generator = (
            "wrk" if shutil.which("wrk") and os.environ.get("BENCH_LOADGEN", "").lower() != "python" else "python"
        )
        log(f"load generator: {self.generator_script()} ({self.generator})")

    def generator_script(self) -> str:
        return "bench/wrkgen.py" if self.generator == "wrk" else "bench/loadgen.py"

    # ------------------------------------------------------------ load generator

    def loadgen(
        self,
        side: str,
        url: str,
        scenario: dict[str, Any],
        *,
        concurrency: int | None = None,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """Run the load generator (bench/wrkgen.py or bench/loadgen.py) in its own process while sampling
        the workers' RSS."""
        c = concurrency or self.a.concurrency
        d = duration or self.a.duration
        fd, path = tempfile.mkstemp(suffix=".json", dir=self.out, prefix=f"scenario-{side}-")
        with os.fdopen(fd, "w") as fh:
            json.dump(scenario, fh)
        cmd = [
            sys.executable,
            str(ROOT / self.generator_script()),
            "--url",
            url,
            "--scenario",
            path,
            "-c",
            str(c),
            "-d",
            str(d),
            "--warmup",
            str(self.a.warmup),
        ]
        shown = " ".join(cmd[1:]).replace(str(ROOT) + "/", "").replace(str(self.out) + "/", "$OUT/")
        if shown not in self.commands:
            self.commands.append(shown)
        pids = self.ours_workers if side == "ours" else self.peer_workers
        with procs.RssSampler(pids) as sampler:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=d + self.a.warmup + 90)
        for pid, mb in sampler.peak.items():
            self.rss[side][pid] = max(self.rss[side].get(pid, 0.0), mb)
        if proc.returncode == 3 and self.generator == "wrk":  # wrk went missing: the Python generator
            log("wrk not found: falling back to bench/loadgen.py")
            self.generator = "python"
            return self.loadgen(side, url, scenario, concurrency=concurrency, duration=duration)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.generator_script()} failed: {proc.stderr[-500:]}")
        result: dict[str, Any] = json.loads(proc.stdout)
        result.setdefault("generator", self.generator)
        log(
            f"  {side:4} {scenario.get('name')}: {result['rps']}/s p50 {result['p50_ms']} ms "
            f"p99 {result['p99_ms']} ms errors {result['errors']}"
        )
        return result

    def figure(self, key: str, label: str, target: str, unit: str = "/s") -> dict[str, Any]:
        fig = self.figures.setdefault(
            key, {"label": label, "target": target, "unit": unit, "ours": [], "peer": [], "note": ""}
        )
        return fig

    def not_measured(self, key: str, label: str, target: str, reason: str) -> None:
        fig = self.figure(key, label, target)
        fig["note"] = f"not measured: {reason}"
        log(f"{label}: not measured: {reason}")

    def side_by_side(self, key: str, label: str, target: str, ours: Any, peer: Any) -> None:
        """``ours``/``peer``: callables returning a fresh scenario per round (None = skip that side)."""
        fig = self.figure(key, label, target)
        log(f"{label}")
        for _ in range(self.a.runs):
            for side, url, make in (("ours", self.a.ours, ours), ("peer", self.a.peer, peer)):
                if make is None or not url:
                    continue
                fig[side].append(self.loadgen(side, url, make()))

    # ------------------------------------------------------------ side by side figures

    def run_side_by_side(self) -> None:
        a = self.a
        ours_cc: dict[str, Any] = {
            "name": "client credentials",
            "method": "POST",
            "path": "/token",
            "headers": {"Authorization": basic(*VERIFIER), "Content-Type": FORM},
            "body": "grant_type=client_credentials&scope=license%3Aread",
        }
        peer_cc = {**ours_cc, "body": ours_cc["body"] + "&resource=" + RESOURCE.replace(":", "%3A")}
        self.side_by_side(
            "jwks",
            "JWKS",
            "",
            lambda: {"name": "jwks", "path": "/jwks.json"},
            lambda: {"name": "jwks", "path": "/jwks"},
        )
        self.side_by_side(
            "client_credentials",
            "client-credentials grants",
            "≥ 2,000/s and ≥ 1.0× peer",
            lambda: ours_cc,
            lambda: peer_cc,
        )

        # introspection: a pool of live access tokens of each side
        def tokens(url: str, body: dict[str, str], n: int) -> list[str]:
            with httpx.Client(base_url=url, timeout=30) as c:
                return [
                    c.post("/token", data=body, auth=VERIFIER).raise_for_status().json()["access_token"]
                    for _ in range(n)
                ]

        ours_tokens = tokens(a.ours, {"grant_type": "client_credentials", "scope": "license:read"}, 64)
        # the peer cannot introspect its JWTs ("structured tokens cannot be introspected"): opaque ones
        peer_tokens = (
            tokens(a.peer, {"grant_type": "client_credentials", "scope": "license:read"}, 64)
            if a.peer
            else []
        )
        self.side_by_side(
            "introspection",
            "introspection",
            "≥ 5,000/s",
            lambda: {
                "name": "introspection",
                "method": "POST",
                "path": "/introspect",
                "headers": {"Authorization": basic(*VERIFIER), "Content-Type": FORM},
                "bodies": [f"token={t}" for t in ours_tokens],
            },
            (
                lambda: {
                    "name": "introspection",
                    "method": "POST",
                    "path": "/token/introspection",
                    "headers": {"Authorization": basic(*VERIFIER), "Content-Type": FORM},
                    "bodies": [f"token={t}" for t in peer_tokens],
                }
            )
            if peer_tokens
            else None,
        )

        # refresh: independent rotation families, one per connection, fresh for every round
        c = a.concurrency

        def ours_refresh() -> dict[str, Any]:
            toks = asyncio.run(
                flows.refresh_families(a.ours, rp=RP, number=ZHANGSAN[0], password=ZHANGSAN[1], count=c)
            )
            return {
                "name": "refresh",
                "method": "POST",
                "path": "/token",
                "headers": {"Content-Type": FORM},
                "chain": {
                    "tokens": toks,
                    "field": "refresh_token",
                    "template": "grant_type=refresh_token&client_id=demo-rp&refresh_token={token}",
                },
            }

        def peer_refresh() -> dict[str, Any]:
            toks = (
                httpx.get(f"{a.peer}/bench/refresh-tokens", params={"n": c, "client": "demo-rp"}, timeout=60)
                .raise_for_status()
                .json()
            )
            return {
                "name": "refresh",
                "method": "POST",
                "path": "/token",
                "headers": {"Content-Type": FORM},
                "chain": {
                    "tokens": toks,
                    "field": "refresh_token",
                    "template": "grant_type=refresh_token&client_id=demo-rp&resource="
                    + RESOURCE.replace(":", "%3A")
                    + "&refresh_token={token}",
                },
            }

        try:
            self.side_by_side(
                "refresh",
                "refresh-token grants (rotation)",
                "≥ 1,500/s",
                ours_refresh,
                peer_refresh if a.peer else None,
            )
        except flows.FlowError as exc:
            self.not_measured(
                "refresh",
                "refresh-token grants (rotation)",
                "≥ 1,500/s",
                f"no refresh token from our code flow ({exc})",
            )

    # ------------------------------------------------------------ platform-only figures

    def run_argon2_floor(self) -> None:
        from argon2 import PasswordHasher

        hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)  # idp/parties/passwords.py
        digest = hasher.hash("Bulk-2026")
        fig = self.figure("argon2", "bare argon2id verify (t=2, m=19456, p=1), in-process", "")
        cores = os.cpu_count() or 1
        for threads in (1, cores):
            # Best of three: a floor is what the cores can do, and anything else running on them (the
            # servers' background work, PostgreSQL catching up after the last step) only lowers it.
            # ``other_cpu_pct``: CPU the rest of the machine used meanwhile, in % of all cores.
            best: dict[str, Any] | None = None
            for _ in range(3):
                done = [0] * threads
                stop = time.perf_counter() + 2.0

                def work(i: int, stop: float = stop, done: list[int] = done) -> None:
                    while time.perf_counter() < stop:
                        hasher.verify(digest, "Bulk-2026")
                        done[i] += 1

                ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
                busy0, cpu0, t0 = procs.busy_seconds(), time.process_time(), time.perf_counter()
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                other = max(0.0, procs.busy_seconds() - busy0 - cpu)
                rate = sum(done) / wall
                run = {
                    "threads": threads,
                    "rps": round(rate, 1),
                    "ms_each": round(1000 / rate * threads, 1),
                    "cpu_ms_each": round(1000 * cpu / max(1, sum(done)), 1),
                    "other_cpu_pct": round(100 * other / (wall * cores)),
                }
                if best is None or run["rps"] > best["rps"]:
                    best = run
            assert best is not None
            fig["ours"].append(best)
            log(
                f"argon2 verify, {threads} thread(s): {best['rps']}/s, {best['cpu_ms_each']} ms CPU each, "
                f"other load {best['other_cpu_pct']} %"
            )
        self.commands.append(
            "in-process: argon2.PasswordHasher(2, 19456, 1).verify in 1 and nproc threads, best of 3 × 2 s"
        )

    def run_login(self) -> None:
        label, target = (
            "full password login flow (authorize → login → code → token)",
            "≥ 85 % of argon2 floor",
        )
        accounts = [
            (flows_number(i), "Bulk-2026") for i in range(min(self.bulk.get("persons", 0), 1000))
        ] or [ZHANGSAN, ("110102199101010078", "Lisi-2026")]
        fig = self.figure("login", label, target)
        try:
            for _ in range(self.a.runs):
                cpu0 = sum(procs.cpu_seconds(w) for w in self.ours_workers)
                r = asyncio.run(
                    flows.login_loop(
                        self.a.ours,
                        rp=flows.RelyingParty(RP.client_id, RP.redirect_uri, "openid profile"),
                        accounts=accounts,
                        concurrency=self.a.login_concurrency,
                        duration=self.a.duration,
                        warmup=self.a.warmup,
                    )
                )
                if self.ours_workers and r["completed"]:
                    # CPU per login of our workers (argon2 included) next to the browsers' own
                    cpu = sum(procs.cpu_seconds(w) for w in self.ours_workers) - cpu0
                    r["server_cpu_ms"] = round(1000 * cpu / r["completed"], 1)
                fig["ours"].append(r)
                log(
                    f"  login flow: {r['rps']}/s p50 {r['p50_ms']} ms errors {r['errors']} "
                    f"CPU per login: server {r.get('server_cpu_ms')} ms, client {r['client_cpu_ms']} ms "
                    f"{r['error_samples'][:1]}"
                )
        except flows.FlowError as exc:
            fig["note"] = f"not measured: {exc}"
        self.commands.append(
            f"bench/harness/flows.py login_loop: {self.a.login_concurrency} browsers, "
            f"{self.a.duration:g} s after {self.a.warmup:g} s warm-up"
        )

    def run_bulk(
        self, persons: int, person_offset: int, licenses: int, license_offset: int
    ) -> dict[str, Any]:
        from bench.harness import bulk

        cmd = (
            f"python -m bench.harness.bulk --persons {persons} --person-offset {person_offset} "
            f"--licenses {licenses} --license-offset {license_offset}"
        )
        self.commands.append(cmd)
        log(cmd)
        rep = bulk.run(
            database_url=self.a.database_url,
            persons=persons,
            person_offset=person_offset,
            licenses=licenses,
            license_offset=license_offset,
        )
        log(f"  bulk: {rep}")
        return rep

    def presentation_tokens(self, n: int) -> list[str]:
        """Presentation tokens of random bulk licenses, made by the wallet's own ``present``."""
        from sqlalchemy import func, select

        from core.db import make_engine, make_sessionmaker
        from core.settings import Settings
        from wallet.licenses import presentation
        from wallet.licenses.models import License

        settings = Settings(database_url=self.a.database_url, issuer=self.a.ours)
        engine = make_engine(self.a.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                top = session.scalar(select(func.max(License.id))) or 0
                if not top:
                    raise RuntimeError(
                        "no licenses in the database (license types missing: did the wallet seed run?)"
                    )
                out: list[str] = []
                rnd = random.Random(7)
                while len(out) < n:
                    lic = session.get(License, rnd.randint(1, top))
                    if lic is None or not lic.data:
                        continue
                    fields = list(lic.data)[:2]
                    out.append(
                        presentation.present(
                            session=session,
                            settings=settings,
                            lic=lic,
                            fields=fields,
                            ttl=presentation.MAX_TTL,
                        ).token
                    )
                session.commit()
                return out
        finally:
            engine.dispose()

    def verify_scenario(self, tokens: list[str]) -> dict[str, Any] | None:
        """Find the public verification API by trying the candidates the wallet may expose."""
        candidates = [
            ("POST", "/api/verify/presentation", "json"),
            ("POST", "/api/verify", "json"),
            ("GET", "/api/verify?token={t}", None),
            ("GET", "/api/verify?t={t}", None),
            ("GET", "/api/verify/presentation?token={t}", None),
        ]
        with httpx.Client(base_url=self.a.ours, timeout=10) as c:
            for method, path, _kind in candidates:
                if method == "POST":
                    r = c.post(path, json={"token": tokens[0]})
                else:
                    r = c.get(path.replace("{t}", tokens[0]))
                if r.status_code == 200 and "status" in r.text:
                    log(f"  verification API: {method} {path}")
                    if method == "POST":
                        return {
                            "name": "verify",
                            "method": "POST",
                            "path": path,
                            "headers": {"Content-Type": "application/json"},
                            "bodies": [json.dumps({"token": t}) for t in tokens],
                        }
                    return {
                        "name": "verify",
                        "method": "GET",
                        "paths": [path.replace("{t}", t) for t in tokens],
                    }
        return None

    def run_verification(self, key: str, label: str) -> None:
        target = "≥ 3,000/s, p99 < 20 ms, ≤ 1.3× growth 10k → 1M"
        try:
            tokens = self.presentation_tokens(500)
        except Exception as exc:  # noqa: BLE001 — any failure here means the figure cannot run; say why
            self.not_measured(key, label, target, f"cannot make presentation tokens: {str(exc)[:160]}")
            return
        scenario = self.verify_scenario(tokens)
        if scenario is None:
            self.not_measured(
                key, label, target, "no public verification API answered 200 (wallet router not mounted yet?)"
            )
            return
        fig = self.figure(key, label, target)
        log(label)
        for _ in range(self.a.runs):
            fig["ours"].append(self.loadgen("ours", self.a.ours, scenario))

    def run_signing(self) -> None:
        script = ROOT / "bench/signing_bench.py"
        label, target = "sealing B-T (docs/s) vs bare pyHanko loop", "≥ 0.8× bare pyHanko"
        if not script.exists():
            self.not_measured("sealing", label, target, "bench/signing_bench.py not present")
            return
        cmd = [
            sys.executable,
            str(script),
            "--docs",
            str(self.a.seal_docs),
            "--processes",
            "1",
            "2",
            "--rounds",
            str(self.a.runs),
        ]
        self.commands.append(" ".join(cmd[1:]).replace(str(ROOT) + "/", ""))
        log("sealing: " + " ".join(cmd[1:]))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=420, cwd=ROOT)
        except subprocess.TimeoutExpired:
            self.not_measured("sealing", label, target, "bench/signing_bench.py exceeded 420 s")
            return
        if proc.returncode != 0:
            self.not_measured(
                "sealing", label, target, f"bench/signing_bench.py failed: {proc.stderr[-200:]}"
            )
            return
        fig = self.figure("sealing", label, target, unit="docs/s")
        rows = {}
        for line in proc.stdout.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2:
                rows[cells[0]] = cells[1:]
        fig["raw"] = rows
        log(f"  sealing: {rows}")

    @staticmethod
    def form_value(field: dict[str, Any]) -> Any:
        """A plausible answer to a form field the wallet cannot pre-fill (its type, enum and length)."""
        kind = field.get("type", "string")
        if field.get("enum"):
            return field["enum"][0]
        if kind == "date":
            return (date.today() + timedelta(days=120)).isoformat()
        if kind in ("integer", "number"):
            return 1
        if kind == "boolean":
            return True
        name = str(field.get("name", "")).lower()
        if any(w in name for w in ("phone", "mobile", "tel")):
            return "13800138000"
        value = f"压测{field.get('label', name)}"
        return value[: field["max_length"]] if field.get("max_length") else value

    def submission_body(self, prep: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """The POST /api/applications body answering a prepare response, or None and why it cannot be made.

        Licenses satisfied from the wallet need nothing; a selectable one is chosen from its candidates;
        every commitment is signed; every form field is answered (pre-filled values as given). A document
        already uploaded and still reusable is satisfied too; a missing one needs an upload, which the
        figure does not measure.
        """
        body: dict[str, Any] = {"item": prep["item"], "form": {}, "commitments": [], "selections": {}}
        used: list[str] = []
        for req in prep.get("requirements", []):
            key, kind, status = req["key"], req["kind"], req.get("status")
            if kind == "form":
                fields = req.get("details", {}).get("fields", [])
                prefill = req.get("prefill", {})
                body["form"][key] = {f["name"]: prefill.get(f["name"], self.form_value(f)) for f in fields}
                used.append(f"form {key} ({len(fields)} fields)")
            elif kind == "commitment":
                body["commitments"].append(key)
                used.append(f"commitment {key}")
            elif status == "satisfied":
                used.append(f"{'wallet license' if kind == 'license_type' else 'reused document'} {key}")
            elif kind == "license_type" and req.get("action") == "select" and req.get("candidates"):
                body["selections"][key] = req["candidates"][0]["identifier"]
                used.append(f"wallet license {key} (selected)")
            else:
                return None, f"{req.get('name', key)} is {kind}, {req.get('action')} ({req.get('reason')})"
        if prep.get("holder_number_required"):
            body["holder_number"] = ZHANGSAN[0]  # the item issues a license to 张三 himself
        return body, ", ".join(used)

    def run_submission(self) -> None:
        """POST /api/applications by 张三 over HTTP: a seeded item he can submit with his wallet licenses,
        form answers and commitments, no upload; every request is a new application (no Idempotency-Key)."""
        label, target = "application submission latency", "p50 < 30 ms"
        try:
            tok = asyncio.run(
                flows.person_tokens(
                    self.a.ours,
                    rp=flows.RelyingParty(RP.client_id, RP.redirect_uri, "openid profile"),
                    number=ZHANGSAN[0],
                    password=ZHANGSAN[1],
                )
            )
        except flows.FlowError as exc:
            self.not_measured("submission", label, target, f"no person token ({exc})")
            return
        auth = {"Authorization": f"Bearer {tok['access_token']}"}
        chosen: tuple[dict[str, Any], str] | None = None
        skipped: list[str] = []
        with httpx.Client(base_url=self.a.ours, timeout=30, headers=auth) as c:
            r = c.get("/api/services")
            if r.status_code != 200:
                self.not_measured(
                    "submission", label, target, f"GET /api/services answered {r.status_code}"
                )
                return
            for item in r.json():
                code = item["code"]
                prep = c.get(f"/api/services/{code}/prepare")
                if prep.status_code != 200:
                    skipped.append(f"{code}: prepare answered {prep.status_code} {prep.text[:120]}")
                    continue
                body, why = self.submission_body(prep.json())
                if body is None:
                    skipped.append(f"{code}: {why}")
                    continue
                trial = c.post("/api/applications", json=body)
                if trial.status_code != 201:
                    skipped.append(f"{code}: trial submission {trial.status_code} {trial.text[:120]}")
                    continue
                log(f"  submission: {code} {item['name']} ({why}) → {trial.json()['serial']}")
                chosen = (body, f"{code} {item['name']} by 张三 ({why})")
                break
        if chosen is None:
            self.not_measured(
                "submission", label, target, "no seeded item could be submitted: " + "; ".join(skipped)
            )
            return
        body, what = chosen
        fig = self.figure("submission", label, target)
        fig["note"] = (
            f"POST /api/applications over HTTP by one applicant; {what}; "
            "no Idempotency-Key, so every request is a new application (201)"
        )
        scenario = {
            "name": "submit",
            "method": "POST",
            "path": "/api/applications",
            "headers": {**auth, "Content-Type": "application/json"},
            "body": json.dumps(body),
            "expect": [201],
        }
        log(label)
        # The target is a latency: one connection measures a submission, not the queue in front of it;
        # four connections show the same under load (a department's daily serial is one locked row).
        for _ in range(self.a.runs):
            fig["ours"].append(self.loadgen("ours", self.a.ours, scenario, concurrency=1))
        fig["loaded"] = [self.loadgen("ours", self.a.ours, scenario, concurrency=4)]

    # ------------------------------------------------------------ all

    def run(self) -> dict[str, Any]:
        a = self.a
        t0 = time.monotonic()
        steps = [("side by side", self.run_side_by_side), ("argon2", self.run_argon2_floor)]
        for name, step in steps:
            self.guard(name, step)
        # growth: 10k licenses first, then up to the full bulk size
        small_p, small_l = max(1, a.bulk_persons // 100), max(1, a.bulk_licenses // 100)
        self.bulk["small"] = self.guard("bulk 1%", lambda: self.run_bulk(small_p, 0, small_l, 0))
        self.bulk["persons"] = small_p if "persons" in (self.bulk["small"] or {}) else 0
        self.guard("login", self.run_login)
        self.guard(
            "verify small",
            lambda: self.run_verification(
                "verify_small", f"public verification by presentation token, {small_l:,} licenses"
            ),
        )
        self.guard("submission", self.run_submission)
        self.bulk["large"] = self.guard(
            "bulk rest",
            lambda: self.run_bulk(a.bulk_persons - small_p, small_p, a.bulk_licenses - small_l, small_l),
        )
        self.guard(
            "verify large",
            lambda: self.run_verification(
                "verify_large", f"public verification by presentation token, {a.bulk_licenses:,} licenses"
            ),
        )
        self.guard("signing", self.run_signing)
        results = {
            "machine": procs.machine(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "elapsed_s": round(time.monotonic() - t0),
            "params": {k: v for k, v in vars(a).items()},
            "figures": self.figures,
            "rss_mb": {s: {str(k): round(v, 1) for k, v in d.items()} for s, d in self.rss.items()},
            "bulk": self.bulk,
            "commands": self.commands,
            "generator": self.generator,
        }
        (self.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        return results

    def guard(self, name: str, step: Any) -> Any:
        """Run one step; a failure is logged and recorded, never fatal to the other figures."""
        try:
            return step()
        except Exception as exc:  # noqa: BLE001 — one broken figure must not hide the others
            log(f"step {name} failed: {type(exc).__name__}: {exc}")
            self.figures.setdefault(
                f"failed:{name}",
                {
                    "label": name,
                    "target": "",
                    "unit": "",
                    "ours": [],
                    "peer": [],
                    "note": f"not measured: {type(exc).__name__}: {str(exc)[:160]}",
                },
            )
            return {"error": str(exc)[:300]}


def flows_number(i: int) -> str:
    from bench.harness.bulk import resident_id

    return resident_id(i)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="OneNumber benchmark orchestrator")
    p.add_argument("--ours", required=True)
    p.add_argument(
        "--ours-pid", type=int, default=0, help="uvicorn supervisor PID (workers are its children)"
    )
    p.add_argument("--peer", default="")
    p.add_argument("--peer-pid", type=int, default=0, help="node-oidc-provider cluster primary PID")
    p.add_argument("--database-url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=float, default=8)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--login-concurrency", type=int, default=8)
    p.add_argument("--bulk-persons", type=int, default=100_000)
    p.add_argument("--bulk-licenses", type=int, default=1_000_000)
    p.add_argument("--seal-docs", type=int, default=30)
    p.add_argument("--doc", default=str(ROOT / "docs/BENCHMARKS.md"))
    p.add_argument("--command-line", default="make bench")
    a = p.parse_args(argv)
    results = Harness(a).run()
    report.write(Path(a.doc), results, command_line=a.command_line)
    log(f"wrote {a.doc} and {a.out}/results.json in {results['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
