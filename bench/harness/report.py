"""Writes the "How to run" and "Side by side" sections at the top of docs/BENCHMARKS.md.

Other sections (## Storage, ## Identifiers, ## Signing, …) belong to other engineers and are kept as
they are, below ours.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

OWN_SECTIONS = ("## How to run", "## Side by side")


def _med(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if isinstance(r, dict) and key in r]
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _runs(runs: list[dict[str, Any]]) -> str:
    return " / ".join(_fmt(r.get("rps")) for r in runs)


def _errors(runs: list[dict[str, Any]]) -> int:
    return sum(int(r.get("errors", 0)) for r in runs)


def side_by_side_rows(figs: dict[str, Any]) -> list[str]:
    rows = []
    for key in ("client_credentials", "refresh", "introspection", "jwks"):
        fig = figs.get(key)
        if fig is None:
            continue
        if fig.get("note") and not fig["ours"]:
            rows.append(f"| {fig['label']} | {fig['note']} | | | | | | {fig['target']} |")
            continue
        o, p = fig["ours"], fig["peer"]
        o_rps, p_rps = _med(o, "rps"), _med(p, "rps")
        ratio = f"{o_rps / p_rps:.2f}×" if o_rps and p_rps else "—"
        rows.append(
            f"| {fig['label']} | **{_fmt(o_rps)}** ({_runs(o)}) | {_fmt(_med(o, 'p50_ms'), 1)} | "
            f"{_fmt(_med(o, 'p99_ms'), 1)} | **{_fmt(p_rps)}** ({_runs(p)}) | {_fmt(_med(p, 'p99_ms'), 1)} | "
            f"{ratio} | {fig['target']}{' — errors: ' + str(_errors(o)) + '/' + str(_errors(p)) if _errors(o) or _errors(p) else ''} |"  # noqa: E501
        )
    return rows


def platform_rows(res: dict[str, Any]) -> list[str]:
    figs = res["figures"]
    rows = []
    argon = figs.get("argon2", {}).get("ours", [])
    floor = max((r["rps"] for r in argon), default=None)
    login = figs.get("login")
    if login is not None:
        if login["ours"]:
            rps = _med(login["ours"], "rps")
            share = (
                f"{100 * rps / floor:.0f} % of the argon2 floor ({_fmt(floor, 1)}/s)"
                if floor and rps
                else "—"
            )
            rows.append(
                f"| {login['label']} | **{_fmt(rps, 1)}/s** ({_runs(login['ours'])}); p50 "
                f"{_fmt(_med(login['ours'], 'p50_ms'), 1)} ms, p99 {_fmt(_med(login['ours'], 'p99_ms'), 1)} ms; "
                f"{share}; CPU per login: server {_fmt(_med(login['ours'], 'server_cpu_ms'), 1)} ms "
                f"(argon2 included), browsers {_fmt(_med(login['ours'], 'client_cpu_ms'), 1)} ms; "
                f"errors {_errors(login['ours'])} | {login['target']} |"
            )
        else:
            rows.append(f"| {login['label']} | {login['note']} | {login['target']} |")
    if argon:
        rows.append(
            "| bare argon2id verify, in-process (t=2, m=19456, p=1) | "
            + "; ".join(
                f"{r['threads']} thread(s): {_fmt(r['rps'], 1)}/s ({r['ms_each']} ms each"
                + (
                    f", {r['cpu_ms_each']} ms CPU, other load {r['other_cpu_pct']} %"
                    if "cpu_ms_each" in r
                    else ""
                )
                + ")"
                for r in argon
            )
            + " | the floor |"
        )
    small, large = figs.get("verify_small"), figs.get("verify_large")
    for fig in (small, large):
        if fig is None:
            continue
        if fig["ours"]:
            rows.append(
                f"| {fig['label']} | **{_fmt(_med(fig['ours'], 'rps'))}/s** ({_runs(fig['ours'])}); "
                f"p50 {_fmt(_med(fig['ours'], 'p50_ms'), 1)} ms, p99 {_fmt(_med(fig['ours'], 'p99_ms'), 1)} ms"
                f"; errors {_errors(fig['ours'])} | {fig['target']} |"
            )
        else:
            rows.append(f"| {fig['label']} | {fig['note']} | {fig['target']} |")
    if small and large and small["ours"] and large["ours"]:
        g50 = (_med(large["ours"], "p50_ms") or 0.0) / max(_med(small["ours"], "p50_ms") or 1e-9, 1e-9)
        g99 = (_med(large["ours"], "p99_ms") or 0.0) / max(_med(small["ours"], "p99_ms") or 1e-9, 1e-9)
        rows.append(
            f"| verification latency growth, small → large | p50 ×{g50:.2f}, p99 ×{g99:.2f} | ≤ 1.3× |"
        )
    sub = figs.get("submission")
    if sub is not None:
        if sub["ours"]:
            loaded = sub.get("loaded") or []
            under_load = (
                f"; with 4 connections: p50 {_fmt(_med(loaded, 'p50_ms'), 1)} ms, "
                f"p99 {_fmt(_med(loaded, 'p99_ms'), 1)} ms, {_fmt(_med(loaded, 'rps'))}/s"
                if loaded
                else ""
            )
            rows.append(
                f"| {sub['label']} (one connection) | p50 **{_fmt(_med(sub['ours'], 'p50_ms'), 1)} ms**, "
                f"p99 {_fmt(_med(sub['ours'], 'p99_ms'), 1)} ms, {_fmt(_med(sub['ours'], 'rps'))}/s"
                f"{under_load}. {sub['note']} | {sub['target']} |"
            )
        else:
            rows.append(f"| {sub['label']} | {sub['note']} | {sub['target']} |")
    seal = figs.get("sealing")
    if seal is not None:
        raw = seal.get("raw") or {}
        if raw:
            seal_row = next((v for k, v in raw.items() if k.startswith("seal")), None)
            bare_row = next((v for k, v in raw.items() if k.startswith("bare")), None)
            ratio_row = next((v for k, v in raw.items() if k.startswith("ratio")), None)
            rows.append(
                f"| sealing B-T, docs/s, 1 / 2 processes (bench/signing_bench.py) | ours "
                f"{' / '.join(seal_row or [])}; bare pyHanko {' / '.join(bare_row or [])}; ratio "
                f"{' / '.join(ratio_row or [])} | {seal['target']} |"
            )
        else:
            rows.append(f"| {seal['label']} | {seal['note']} | {seal['target']} |")
    rss = res.get("rss_mb", {})
    if rss.get("ours"):
        rows.append(
            "| memory per worker under load (peak RSS, MiB) | ours: "
            + ", ".join(f"{v:.0f}" for v in rss["ours"].values())
            + (("; peer: " + ", ".join(f"{v:.0f}" for v in rss["peer"].values())) if rss.get("peer") else "")
            + " | < 300 MB |"
        )
    for key, fig in figs.items():
        if key.startswith("failed:"):
            rows.append(f"| step {fig['label']} | {fig['note']} | |")
    return rows


def bulk_lines(res: dict[str, Any]) -> list[str]:
    out = []
    for phase in ("small", "large"):
        rep = res.get("bulk", {}).get(phase)
        if not isinstance(rep, dict):
            continue
        parts = []
        for kind in ("persons", "licenses"):
            r = rep.get(kind)
            if isinstance(r, dict):
                parts.append(
                    f"{r['rows']:,} {kind} in {r['seconds']} s ({r['rows'] / max(r['seconds'], 1e-9):,.0f}/s)"
                )
        if rep.get("licenses_error") or rep.get("error"):
            parts.append(f"licenses not seeded: {rep.get('licenses_error') or rep.get('error')}")
        totals = (
            f" → totals {rep.get('persons_total', '?'):,} persons, {rep.get('licenses_total', '?'):,} licenses"
            if isinstance(rep.get("persons_total"), int)
            else ""
        )
        out.append(f"- bulk seeding ({phase}): " + "; ".join(parts) + totals)
    return out


def _notes() -> list[str]:
    """Hand-written profile notes (bench/harness/NOTES.md), kept apart from the generated numbers."""
    path = Path(__file__).with_name("NOTES.md")
    if not path.exists():
        return []
    return [path.read_text(encoding="utf-8").rstrip(), ""]


def generator_lines(res: dict[str, Any]) -> list[str]:
    """Which load generator drove both sides (results.json ``generator``; older results: the Python one)."""
    if res.get("generator") == "wrk":
        return [
            "with the same load generator (`bench/wrkgen.py`: wrk, a closed-loop HTTP/1.1 keep-alive client in C,",
            "in its own process, scripted in Lua for the scenario; fixed concurrency and duration, per-request",
            "latency, wrk's coordinated-omission correction undone so the percentiles are plain per-request ones)",
            "and writes this section and the next. `BENCH_LOADGEN=python` selects the pure-Python `bench/loadgen.py`",
            "instead (same scenarios, options and output, more client CPU); `tools/bench.sh` installs wrk when it is",
            "missing and falls back to the Python generator when it cannot.",
        ]
    return [
        "with the same load generator (`bench/loadgen.py`: a closed-loop HTTP/1.1 keep-alive client in Python, in",
        "its own process, fixed concurrency and duration, per-request latency) and writes this section and the next",
        "(wrk was not installed or `BENCH_LOADGEN=python` was set; with wrk, `bench/wrkgen.py` drives the same",
        "scenarios with less client CPU).",
    ]


def section(res: dict[str, Any], *, command_line: str) -> str:
    m = res["machine"]
    prm = res["params"]
    script = "bench/wrkgen.py" if res.get("generator") == "wrk" else "bench/loadgen.py"
    generator = "wrk through `bench/wrkgen.py`" if res.get("generator") == "wrk" else "`bench/loadgen.py`"
    lines = [
        "## How to run",
        "",
        "```",
        "make bench            # = bash tools/bench.sh; 6–10 minutes; loopback only; stops everything on exit",
        "```",
        "",
        "`tools/bench.sh` starts a throwaway PostgreSQL (`tools/pg.sh`), migrates and seeds it, starts the platform",
        "(what `onenumber serve --workers 2` runs, with `--no-access-log`) and the peer, node-oidc-provider",
        "(`bench/peer/server.mjs`, two `node:cluster`",
        "workers, state in the same PostgreSQL server), then runs `python -m bench.harness.run`, which drives both",
        *generator_lines(res),
        "Knobs: `BENCH_RUNS`, `BENCH_DURATION`, `BENCH_CONCURRENCY`, `BENCH_PERSONS`, `BENCH_LICENSES`, `BENCH_LOADGEN`",
        "(environment).",
        "Bulk seeding alone: `python -m bench.harness.bulk --persons 100000 --licenses 1000000` (COPY; see its",
        f"docstring). One load run by hand: `python {script} --url http://127.0.0.1:8000 -c 32 -d 10",
        '--scenario-json \'{"path": "/jwks.json"}\'`.',
        "",
        "## Side by side",
        "",
        f"Machine: {m['nproc']} × {m['cpu']}, {m['memory']}, Linux {m['kernel']}; run {res['started']}, "
        f"{res['elapsed_s']} s. Server, peer, PostgreSQL and the load generator ({generator}) share these cores, "
        "as they would on a single small host; the load generator's own CPU time is in `results.json` "
        "(`client_cpu_s`).",
        f"Each row: {prm['runs']} rounds alternating ours / peer, {prm['duration']:g} s measured after "
        f"{prm['warmup']:g} s warm-up, {prm['concurrency']} keep-alive connections; the bold figure is the median "
        "of the rounds (successful responses per second), the rounds follow in brackets; latencies in ms are "
        "medians of the per-round percentiles.",
        "",
        "| figure | ours /s (rounds) | ours p50 | ours p99 | node-oidc-provider /s (rounds) | peer p99 | ours / peer | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *side_by_side_rows(res["figures"]),
        "",
        "Platform-only figures (no peer equivalent):",
        "",
        "| figure | result | target |",
        "|---|---|---|",
        *platform_rows(res),
        "",
        *bulk_lines(res),
        "",
        "What differs between the two sides, on purpose or by necessity:",
        "- Both issue ES256 JWT access tokens (`typ at+jwt`, `kid`, 600 s) for client credentials and refresh; the peer",
        "  needs a resource indicator for that (`resource=urn:onenumber:api`), ours always does it. Both keep",
        "  refresh tokens and grants in PostgreSQL and rotate refresh tokens on every use.",
        '- Introspection: node-oidc-provider refuses to introspect its own JWT access tokens ("structured tokens',
        '  cannot be introspected"), so the peer introspects opaque client-credentials tokens (a PostgreSQL lookup);',
        "  ours introspects its JWTs (signature, expiry, revocation lookup).",
        "- Refresh: both sides use the public client `demo-rp`; our families come from the real code flow (one",
        "  scripted login, then one code per family); the peer's are minted through its own models",
        "  (`/bench/refresh-tokens`, loopback) because it has no login UI to script. Ours also writes a work-log",
        "  entry per token issued (issue 3 requires it); the peer logs nothing.",
        "- The peer runs on Node.js 20, which oidc-provider 9 warns is unsupported (it asks for 22 LTS); it works.",
        "",
        *_notes(),
        "Commands (as run; `$OUT` is var/bench):",
        "",
        "```",
        command_line,
        *res["commands"],
        "```",
        "",
    ]
    return "\n".join(lines)


def write(doc: Path, res: dict[str, Any], *, command_line: str) -> None:
    """Replace our two sections (or insert them under the title), keep every other section."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], parts[1:]
    kept = [s for s in sections if not s.startswith(OWN_SECTIONS)]
    if not head.strip():
        head = "# Benchmarks\n"
    doc.write_text(
        head.rstrip() + "\n\n" + section(res, command_line=command_line) + "\n" + "".join(kept),
        encoding="utf-8",
    )
