"""Closed-loop HTTP/1.1 load generator: fixed concurrency, fixed duration, per-request latency.

Runs in its own process(es), apart from the servers it measures, and drives ours and the peer the same
way: ``--concurrency`` keep-alive connections, each sending its next request as soon as the previous
response is complete, for ``--warmup`` seconds (not recorded) and then ``--duration`` seconds.

A scenario is a JSON file (or inline JSON with ``--scenario-json``)::

    {"name": "client credentials", "method": "POST", "path": "/token",
     "headers": {"Authorization": "Basic ...", "Content-Type": "application/x-www-form-urlencoded"},
     "body": "grant_type=client_credentials&scope=license%3Aread",
     "bodies": ["token=...", "token=..."],          # optional: round-robin pool instead of "body"
     "paths": ["/api/verify/...", ...],              # optional: round-robin pool instead of "path"
     "chain": {"tokens": ["rt1", "rt2", ...],        # optional: one single-use token chain per connection
               "template": "grant_type=refresh_token&refresh_token={token}",
               "field": "refresh_token"},            # next token = this field of the JSON response
     "expect": [200]}

Prints one JSON object: requests, ok, errors, rps (successful responses per second of the measured
window), latency percentiles in milliseconds, status counts and the first few error samples.
Everything is bounded: the run stops at warmup + duration, and each request times out after
``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit


@dataclass
class Result:
    """What one process measured."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    started: float = 0.0
    stopped: float = 0.0


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed by server"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        start = end + 4
        if chunked:
            body = _dechunk(self.buf, start)
            if body is None:
                return
            payload, consumed = body
            del self.buf[:consumed]
        else:
            length = length or 0
            if len(self.buf) - start < length:
                return
            payload = bytes(self.buf[start : start + length])
            del self.buf[: start + length]
        self.waiter.set_result((status, payload))

    async def request(self, raw: bytes, timeout: float) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await asyncio.wait_for(self.waiter, timeout)


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    out = bytearray()
    while True:
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            return None
        size = int(bytes(buf[pos:nl]).split(b";")[0], 16)
        if len(buf) < nl + 2 + size + 2:
            return None
        if size == 0:
            end = buf.find(b"\r\n\r\n", nl)
            return (bytes(out), end + 4) if end >= 0 else None
        out += buf[nl + 2 : nl + 2 + size]
        pos = nl + 2 + size + 2


def _build(method: str, path: str, host: str, headers: dict[str, str], body: str | None) -> bytes:
    data = body.encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _worker(
    vu: int,
    sc: dict[str, Any],
    url: Any,
    deadline_warm: float,
    deadline: float,
    timeout: float,
    res: Result,
    chain_token: str | None,
) -> None:
    loop = asyncio.get_running_loop()
    host = f"{url.hostname}:{url.port}"
    method = sc.get("method", "GET")
    headers = sc.get("headers", {})
    expect = set(sc.get("expect", [200]))
    paths = sc.get("paths") or [sc.get("path", "/")]
    bodies = sc.get("bodies") or [sc.get("body")]
    chain = sc.get("chain")
    static = (
        None
        if (len(paths) > 1 or len(bodies) > 1 or chain)
        else _build(method, paths[0], host, headers, bodies[0])
    )
    i = vu
    conn: _Conn | None = None
    token = chain_token
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        if chain is not None and token is None:
            break  # this connection's refresh chain broke (counted as an error below)
        if conn is None or conn.closed:
            _, conn = await loop.create_connection(_Conn, url.hostname, url.port)
        if static is not None:
            raw = static
        else:
            body = bodies[i % len(bodies)]
            if chain is not None:
                body = chain["template"].replace("{token}", quote(token or "", safe=""))
            raw = _build(method, paths[i % len(paths)], host, headers, body)
            i += 1
        t0 = time.perf_counter()
        try:
            status, payload = await conn.request(raw, timeout)
        except (TimeoutError, ConnectionError, OSError) as exc:
            conn.transport and conn.transport.close()
            conn = None
            if t0 >= deadline_warm:
                res.errors += 1
                if len(res.samples) < 5:
                    res.samples.append(f"{type(exc).__name__}: {exc}")
            continue
        t1 = time.perf_counter()
        ok = status in expect
        if chain is not None:
            token = None
            if ok:
                try:
                    token = json.loads(payload)[chain["field"]]
                except (ValueError, KeyError):
                    ok = False
        if t0 < deadline_warm or t1 > deadline:
            continue
        res.statuses[str(status)] = res.statuses.get(str(status), 0) + 1
        if ok:
            res.latencies.append(t1 - t0)
        else:
            res.errors += 1
            if len(res.samples) < 5:
                res.samples.append(f"{status}: {payload[:200]!r}")
    if conn is not None and conn.transport is not None:
        conn.transport.close()


async def _run(
    sc: dict[str, Any],
    base: str,
    conc: int,
    warmup: float,
    duration: float,
    timeout: float,
    chain_tokens: list[str],
) -> Result:
    url = urlsplit(base)
    res = Result()
    start = time.perf_counter()
    res.started = start + warmup
    res.stopped = start + warmup + duration
    tasks = [
        _worker(v, sc, url, res.started, res.stopped, timeout, res, chain_tokens[v] if chain_tokens else None)
        for v in range(conc)
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), warmup + duration + timeout + 5)
    return res


def _process(args: tuple[dict[str, Any], str, int, float, float, float, list[str]]) -> Result:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_run(*args))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def run(
    scenario: dict[str, Any],
    *,
    url: str,
    concurrency: int,
    duration: float,
    warmup: float = 2.0,
    processes: int = 1,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Run ``scenario`` against ``url`` and return the summary (what the CLI prints)."""
    chain_tokens = list((scenario.get("chain") or {}).get("tokens", []))
    if scenario.get("chain") and len(chain_tokens) < concurrency:
        raise SystemExit(f"chain scenario needs >= {concurrency} tokens, got {len(chain_tokens)}")
    processes = max(1, min(processes, concurrency))
    per = [concurrency // processes + (1 if p < concurrency % processes else 0) for p in range(processes)]
    jobs = []
    offset = 0
    for n in per:
        toks = chain_tokens[offset : offset + n] if chain_tokens else []
        jobs.append((scenario, url, n, warmup, duration, timeout, toks))
        offset += n
    cpu0 = os.times()
    if processes == 1:
        results = [_process(jobs[0])]
    else:
        with mp.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_process, jobs)
    cpu1 = os.times()
    client_cpu = (
        cpu1.user
        - cpu0.user
        + cpu1.system
        - cpu0.system
        + cpu1.children_user
        - cpu0.children_user
        + cpu1.children_system
        - cpu0.children_system
    )
    lat = sorted(x for r in results for x in r.latencies)
    statuses: dict[str, int] = {}
    for r in results:
        for k, v in r.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    errors = sum(r.errors for r in results)
    ms = [x * 1000 for x in lat]
    return {
        "name": scenario.get("name", ""),
        "url": url,
        "concurrency": concurrency,
        "processes": processes,
        "duration_s": duration,
        "requests": len(lat) + errors,
        "ok": len(lat),
        "errors": errors,
        "rps": round(len(lat) / duration, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(ms[-1], 2) if ms else 0.0,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else 0.0,
        "statuses": statuses,
        "client_cpu_s": round(client_cpu, 2),
        "error_samples": [s for r in results for s in r.samples][:5],
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--scenario", help="scenario JSON file")
    g.add_argument("--scenario-json", help="scenario as inline JSON")
    p.add_argument("--concurrency", "-c", type=int, default=32)
    p.add_argument("--duration", "-d", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--processes", "-p", type=int, default=1)
    p.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args(argv)
    if not a.url.startswith("http://127.") and not a.url.startswith("http://localhost"):
        print("loadgen drives loopback servers only", file=sys.stderr)
        return 2
    if a.scenario:
        with open(a.scenario, encoding="utf-8") as fh:
            scenario = json.load(fh)
    else:
        scenario = json.loads(a.scenario_json)
    out = run(
        scenario,
        url=a.url,
        concurrency=a.concurrency,
        duration=a.duration,
        warmup=a.warmup,
        processes=a.processes,
        timeout=a.timeout,
    )
    out["pid"] = os.getpid()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
