"""Closed-loop HTTP/1.1 load generator on top of wrk: a drop-in for bench/loadgen.py at a fraction of its CPU.

Same command line, same scenario JSON (see bench/loadgen.py's docstring: ``method``, ``path`` or ``paths``,
``headers``, ``body`` or ``bodies``, ``chain`` {``tokens``, ``template``, ``field``}, ``expect``) and the same
output keys (requests, ok, errors, rps, p50_ms, p90_ms, p99_ms, max_ms, mean_ms, statuses, client_cpu_s,
error_samples, ...) plus ``generator: "wrk"``. Each run writes a Lua script for wrk (Debian's wrk 4.1,
LuaJIT) and runs ``wrk --latency -t T -c C -d Ds --timeout Xs -s script URL`` twice: ``--warmup`` seconds
(not recorded), then ``--duration`` seconds.

How the scenario maps onto wrk:

- requests are built here, byte for byte as bench/loadgen.py builds them (Host, ``Connection: keep-alive``,
  the scenario's headers, Content-Length); a single request is wrk's static request, pools (``paths`` /
  ``bodies``) are served round-robin by each wrk thread, starting at an offset that depends on the thread;
- ``response()`` counts statuses per thread; ``done()`` gathers the threads' tables and prints one line,
  ``WRKGEN_JSON {...}``, that this script parses;
- chains: wrk gives each of its T threads C/T connections (T is lowered until it divides C), and each thread
  gets exactly as many tokens as connections. ``delay()`` (called by wrk before every request) reserves a
  token from the thread's queue for the request about to be built, or parks the connection for the rest of
  the run when there is none left (the connection's chain broke, as bench/loadgen.py stops such a
  connection); ``response()`` pushes the next token (``"field": "..."`` of the JSON body) back. Near the end
  of the warm-up no new chain request is started, so that nothing is in flight when wrk stops; the warm-up's
  ``done()`` prints the queues (``WRKGEN_TOKENS [[...], ...]``) and the measured run continues those chains.

Latency: wrk 4.1 "corrects" its latency histogram for coordinated omission after the run (for every sample
of at least twice the mean per-connection interval it adds synthetic samples). bench/loadgen.py reports the
plain per-request latencies, so ``done()`` reads wrk's histogram through LuaJIT's FFI and undoes that
correction (``raw[m] = corrected[m] - corrected[m + interval]`` above the interval); the p*_ms keys are the
plain latencies of all responses (``latency_source: "raw"``), and wrk's corrected figures are kept under
``wrk_corrected``. Should the histogram not read back consistently, the corrected ones are reported instead
(``latency_source: "wrk-corrected"``). Unlike bench/loadgen.py, non-OK responses are in the latencies too.

wrk takes whole seconds: fractional ``--duration`` / ``--warmup`` / ``--timeout`` are rounded (at least 1 s),
and ``rps`` is successful responses per second of the run wrk actually measured (``window_s``).
``client_cpu_s`` is wrk's CPU time (user + system, both runs, as bench/loadgen.py counts its warm-up too);
``client_cpu_measured_s`` is the measured run's alone. Exit status 3: wrk is not installed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from typing import Any
from urllib.parse import urlsplit

LINE_JSON = "WRKGEN_JSON "
LINE_TOKENS = "WRKGEN_TOKENS "
PARKED_MS = 3_600_000  # a connection without a token waits longer than any run


def lua_str(s: str) -> str:
    """A Lua string literal for ``s`` (UTF-8 bytes; everything outside printable ASCII as \\ddd)."""
    out = []
    for b in s.encode("utf-8"):
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def lua_list(items: list[str]) -> str:
    return "{" + ",\n".join(lua_str(s) for s in items) + "}"


def lua_pattern_literal(s: str) -> str:
    """``s`` with Lua pattern magic characters escaped."""
    return re.sub(r"([^A-Za-z0-9_])", r"%\1", s)


def heads_and_tails(sc: dict[str, Any], host: str) -> tuple[list[str], list[str]]:
    """Request prefixes (request line + headers, one per path) and suffixes (Content-Length + body)."""
    method = sc.get("method", "GET")
    headers: dict[str, str] = sc.get("headers", {})
    paths = sc.get("paths") or [sc.get("path", "/")]
    bodies = sc.get("bodies") or [sc.get("body")]
    fixed = [f"Host: {host}", "Connection: keep-alive"]
    if any(k.lower() == "host" for k in headers):
        fixed = ["Connection: keep-alive"]
    heads = []
    for path in paths:
        lines = [f"{method} {path} HTTP/1.1", *fixed, *(f"{k}: {v}" for k, v in headers.items())]
        heads.append("".join(line + "\r\n" for line in lines))
    tails = []
    for body in bodies:
        if body is not None or method in ("POST", "PUT", "PATCH"):
            data = body or ""
            tails.append(f"Content-Length: {len(data.encode())}\r\n\r\n{data}")
        else:
            tails.append("\r\n")
    return heads, tails


LUA_COMMON = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } wrkgen_timespec;
int clock_gettime(int clk_id, wrkgen_timespec *tp);
]]
local function now()
  local ts = ffi.new("wrkgen_timespec")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local function urlenc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function jstr(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function jnum(x)
  if x ~= x or x == math.huge or x == -math.huge then return "0" end
  if x == math.floor(x) then return string.format("%.0f", x) end
  return string.format("%.3f", x)
end

local function jlist(t)
  local out = {}
  for i = 1, #t do out[i] = jstr(t[i]) end
  return "[" .. table.concat(out, ",") .. "]"
end

-- ---------------------------------------------------------------- per thread
local threads = {}

function setup(thread)
  local id = #threads + 1
  threads[id] = thread
  thread:set("tid", id)
end

local idx, NH, NT = 0, #HEADS, #TAILS
local started, cut = false, nil

function init(args)
  st = {ok = 0, bad = 0, broken = 0, statuses = {}, samples = {}, queue = {}, reserved = {}}
  idx = ((tid or 1) - 1) * STRIDE
  if CHAIN then
    for _, t in ipairs(TOKENS[tid] or {}) do st.queue[#st.queue + 1] = t end
  end
  if CUTOFF then cut = now() + CUTOFF end
end

if STATIC then
  -- wrk's static request (no request() function): built by wrk.init through wrk.format
  wrk.format = function() return HEADS[1] .. TAILS[1] end
elseif CHAIN then
  function delay()
    started = true
    if cut and now() >= cut then return PARKED_MS end  -- end of warm-up: nothing new in flight
    local q = st.queue
    local n = #q
    if n == 0 then return PARKED_MS end  -- this connection's chain broke
    st.reserved[#st.reserved + 1] = q[n]
    q[n] = nil
    return 0
  end

  function request()
    local tok
    local r = st.reserved
    if #r > 0 then
      tok = r[#r]
      r[#r] = nil
    elseif started then  -- reconnect after a socket error: request() without delay()
      local q = st.queue
      if #q > 0 then
        tok = q[#q]
        q[#q] = nil
      end
    end
    -- without a token (wrk's one-off parse check before the run, or none left) the request is harmless
    local body = table.concat(CHAIN_PARTS, tok and urlenc(tok) or "wrkgen-no-token")
    local i = idx
    idx = idx + 1
    return HEADS[i % NH + 1] .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
  end
else
  function request()
    local i = idx
    idx = idx + 1
    return HEADS[i % NH + 1] .. TAILS[i % NT + 1]
  end
end

function response(status, headers, body)
  local s = st.statuses
  s[status] = (s[status] or 0) + 1
  local ok = EXPECT[status] == true
  if CHAIN then
    local tok = nil
    if ok then tok = body:match(CHAIN_PATTERN) end
    if tok then
      st.queue[#st.queue + 1] = tok
    else
      ok = false
      st.broken = st.broken + 1
    end
  end
  if ok then
    st.ok = st.ok + 1
  else
    st.bad = st.bad + 1
    if #st.samples < 3 then
      st.samples[#st.samples + 1] = tostring(status) .. ": " .. body:sub(1, 200)
    end
  end
end

-- ---------------------------------------------------------------- summary (main state)
local function raw_latency(latency, summary)
  -- wrk 4.1's histogram: struct {uint64 count, limit, min, max; uint64 data[]}, data[n] = samples of n us.
  -- After the run wrk added, for every sample n >= 2e (e = duration / (requests / connections)), synthetic
  -- samples at n-e, n-2e, ... > e; so raw[m] = c[m] - c[m+e] for m > e, raw[m] = c[m] below.
  local p = ffi.cast("uint64_t **", latency)[0]
  local mn, mx = tonumber(p[2]), tonumber(p[3])
  if summary.requests == 0 or mn ~= latency.min or mx ~= latency.max or mx >= tonumber(p[1]) then
    return nil
  end
  local data = p + 4
  local per = math.floor(summary.requests / CONNECTIONS)
  local e = 0
  if per > 0 then e = math.floor(summary.duration / per) end
  local function raw(m)
    local c = tonumber(data[m])
    if e > 0 and m > e and m + e <= mx then c = c - tonumber(data[m + e]) end
    return c
  end
  local n, sum, top = 0, 0, 0
  for m = mn, mx do
    local r = raw(m)
    if r < 0 then return nil end
    if r > 0 then
      n = n + r
      sum = sum + r * m
      top = m
    end
  end
  if n == 0 or n > summary.requests then return nil end
  local out = {count = n, mean = sum / n, max = top, min = mn}
  local qs = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}}
  local acc, k = 0, 1
  for m = mn, mx do
    if k > #qs then break end
    acc = acc + raw(m)
    while k <= #qs do
      local rank = math.max(1, math.min(n, math.floor(qs[k][2] / 100 * n + 1)))
      if acc >= rank then
        out[qs[k][1]] = m
        k = k + 1
      else
        break
      end
    end
  end
  return out
end

-- wrk 4.1's thread:get() mishandles the Lua stack when it copies a table (nested ones crash it), so the
-- threads hand over strings: reading these two globals runs the serialisation in the (finished) thread.
local lazy = {
  wrkgen_report = function()
    local codes = {}
    for code, count in pairs(st.statuses) do
      codes[#codes + 1] = jstr(tostring(code)) .. ":" .. jnum(count)
    end
    return string.format('{"ok":%s,"bad":%s,"broken":%s,"statuses":{%s},"samples":%s}',
      jnum(st.ok), jnum(st.bad), jnum(st.broken), table.concat(codes, ","), jlist(st.samples))
  end,
  wrkgen_tokens = function()
    local left = {}
    for _, v in ipairs(st.queue) do left[#left + 1] = v end
    for _, v in ipairs(st.reserved) do left[#left + 1] = v end
    return jlist(left)
  end,
}
setmetatable(_G, {__index = function(_, key)
  local f = lazy[key]
  if f and st then return f() end
  return nil
end})

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  local toks = {}
  for i, t in ipairs(threads) do
    parts[i] = t:get("wrkgen_report")
    toks[i] = t:get("wrkgen_tokens")
  end
  local corrected = string.format(
    '{"p50":%s,"p90":%s,"p99":%s,"p999":%s,"max":%s,"mean":%s}',
    jnum(latency:percentile(50)), jnum(latency:percentile(90)), jnum(latency:percentile(99)),
    jnum(latency:percentile(99.9)), jnum(latency.max), jnum(latency.mean))
  local okr, raw = pcall(raw_latency, latency, summary)
  local rawj = "null"
  if okr and raw then
    rawj = string.format(
      '{"p50":%s,"p90":%s,"p99":%s,"p999":%s,"max":%s,"mean":%s,"count":%s}',
      jnum(raw.p50 or 0), jnum(raw.p90 or 0), jnum(raw.p99 or 0), jnum(raw.p999 or 0),
      jnum(raw.max), jnum(raw.mean), jnum(raw.count))
  elseif not okr then
    io.stderr:write("wrkgen: raw latency unavailable: " .. tostring(raw) .. "\n")
  end
  io.write(string.format(
    '%s{"requests":%s,"duration_us":%s,"bytes":%s,'
      .. '"socket_errors":{"connect":%s,"read":%s,"write":%s,"status":%s,"timeout":%s},'
      .. '"raw":%s,"corrected":%s,"threads":[%s]}\n',
    LINE_JSON, jnum(summary.requests), jnum(summary.duration), jnum(summary.bytes),
    jnum(e.connect), jnum(e.read), jnum(e.write), jnum(e.status), jnum(e.timeout),
    rawj, corrected, table.concat(parts, ",")))
  if CHAIN then
    io.write(LINE_TOKENS .. "[" .. table.concat(toks, ",") .. "]\n")
  end
  io.flush()
end
"""


def lua_script(
    sc: dict[str, Any],
    *,
    host: str,
    connections: int,
    threads: int,
    tokens: list[list[str]] | None,
    cutoff: float | None,
) -> str:
    """The wrk script for one run of ``sc``; ``tokens``: each thread's chain tokens (chain scenarios)."""
    heads, tails = heads_and_tails(sc, host)
    chain = sc.get("chain")
    expect = sc.get("expect", [200])
    pool = max(len(heads), len(tails))
    stride = max(1, math.ceil(pool / threads)) if pool > 1 else 0
    head = [
        "-- generated by bench/wrkgen.py for one run; safe to delete",
        f"HEADS = {lua_list(heads)}",
        f"TAILS = {lua_list(tails)}",
        f"STRIDE = {stride}",
        f"CONNECTIONS = {connections}",
        f"PARKED_MS = {PARKED_MS}",
        f"LINE_JSON = {lua_str(LINE_JSON)}",
        f"LINE_TOKENS = {lua_str(LINE_TOKENS)}",
        "EXPECT = {" + ", ".join(f"[{int(s)}] = true" for s in expect) + "}",
        f"CUTOFF = {cutoff!r}" if cutoff is not None else "CUTOFF = nil",
    ]
    if chain:
        parts = chain["template"].split("{token}")
        pattern = '"' + lua_pattern_literal(chain["field"]) + '"%s*:%s*"([^"]+)"'
        head += [
            "CHAIN = true",
            "STATIC = false",
            f"CHAIN_PARTS = {lua_list(parts)}",
            f"CHAIN_PATTERN = {lua_str(pattern)}",
            "TOKENS = {" + ",\n".join(lua_list(t) for t in tokens or []) + "}",
        ]
    else:
        static = len(heads) == 1 and len(tails) == 1
        head += ["CHAIN = false", f"STATIC = {'true' if static else 'false'}", "TOKENS = {}"]
    return "\n".join(head) + "\n" + LUA_COMMON


def whole_seconds(x: float) -> int:
    return max(1, int(round(x)))


def pick_threads(concurrency: int, wanted: int | None) -> int:
    """At most ``wanted`` (default 2) threads, and a divisor of the concurrency (wrk gives each C // T)."""
    t = max(1, min(wanted or 2, concurrency))
    while concurrency % t:
        t -= 1
    return t


def _wrk(
    wrk: str, script: str, *, url: str, threads: int, connections: int, seconds: int, timeout: int
) -> tuple[dict[str, Any], list[list[str]] | None, float, str]:
    """One wrk run: (parsed JSON line, tokens line or None, wrk's CPU seconds, wrk's stdout)."""
    fd, path = tempfile.mkstemp(prefix="wrkgen-", suffix=".lua")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(script)
        cmd = [
            wrk,
            "--latency",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            f"{timeout}s",
            "-s",
            path,
            url,
        ]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(cmd, capture_output=True, timeout=seconds + timeout + 60)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(path)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    data: dict[str, Any] | None = None
    tokens: list[list[str]] | None = None
    for line in out.splitlines():
        if line.startswith(LINE_JSON):
            data = json.loads(line[len(LINE_JSON) :])
        elif line.startswith(LINE_TOKENS):
            tokens = json.loads(line[len(LINE_TOKENS) :])
    if proc.returncode != 0 or data is None:
        raise RuntimeError(f"wrk exited {proc.returncode} without a summary: {(err or out)[-800:]}")
    if err.strip():
        print(err.strip(), file=sys.stderr)
    return data, tokens, cpu, out


def run(
    scenario: dict[str, Any],
    *,
    url: str,
    concurrency: int,
    duration: float,
    warmup: float = 2.0,
    timeout: float = 10.0,
    threads: int | None = None,
    wrk: str | None = None,
) -> dict[str, Any]:
    """Run ``scenario`` against ``url`` with wrk and return the summary (what the CLI prints)."""
    wrk = wrk or shutil.which("wrk")
    if wrk is None:
        raise FileNotFoundError("wrk")
    parts = urlsplit(url)
    host = parts.netloc
    base = f"{parts.scheme}://{parts.netloc}/"  # paths come from the scenario
    t = pick_threads(concurrency, threads)
    per = concurrency // t
    chain = scenario.get("chain")
    tokens: list[list[str]] | None = None
    if chain:
        flat = list(chain.get("tokens", []))
        if len(flat) < concurrency:
            raise SystemExit(f"chain scenario needs >= {concurrency} tokens, got {len(flat)}")
        tokens = [flat[i * per : (i + 1) * per] for i in range(t)]
    chains_start = sum(len(x) for x in tokens) if tokens is not None else 0
    secs, tmo = whole_seconds(duration), whole_seconds(timeout)
    cpu_warm = 0.0
    chains_warm: int | None = None
    warm_note = ""
    if warmup > 0:
        wsecs = whole_seconds(warmup)
        cutoff = max(0.2, wsecs - min(0.5, wsecs / 2)) if chain else None
        script = lua_script(
            scenario, host=host, connections=concurrency, threads=t, tokens=tokens, cutoff=cutoff
        )
        warm, left, cpu_warm, _ = _wrk(
            wrk, script, url=base, threads=t, connections=concurrency, seconds=wsecs, timeout=tmo
        )
        if chain:
            if left is None or len(left) != t:
                raise RuntimeError("the warm-up did not report its chains")
            tokens = left
            chains_warm = sum(len(x) for x in tokens)
            if chains_warm < chains_start:
                lost = [s for th in warm["threads"] for s in th["samples"]][:1]
                warm_note = f"{chains_start - chains_warm} chain(s) broke during the warm-up" + (
                    f", e.g. {lost[0]}" if lost else " (a request still in flight when it ended)"
                )
    script = lua_script(scenario, host=host, connections=concurrency, threads=t, tokens=tokens, cutoff=None)
    data, _, cpu, _ = _wrk(
        wrk, script, url=base, threads=t, connections=concurrency, seconds=secs, timeout=tmo
    )
    statuses: dict[str, int] = {}
    ok = bad = broken = 0
    samples: list[str] = []
    for th in data["threads"]:
        ok += int(th["ok"])
        bad += int(th["bad"])
        broken += int(th["broken"])
        samples += th["samples"]
        for code, n in th["statuses"].items():
            statuses[code] = statuses.get(code, 0) + int(n)
    se = data["socket_errors"]
    sock = int(se["connect"]) + int(se["read"]) + int(se["write"])
    if sock:
        samples.insert(0, f"wrk socket errors: connect {se['connect']}, read {se['read']}, write {se['write']}")
    if warm_note:
        samples.insert(0, warm_note)
    if int(se["timeout"]):
        samples.append(f"wrk: {se['timeout']} responses slower than --timeout {tmo}s")
    window = max(float(data["duration_us"]) / 1e6, 1e-9)
    lat = data.get("raw")
    source = "raw"
    if not lat:
        lat, source = data["corrected"], "wrk-corrected"
    corr = data["corrected"]

    def ms(us: Any) -> float:
        return round(float(us) / 1000, 2)

    out: dict[str, Any] = {
        "name": scenario.get("name", ""),
        "url": url,
        "generator": "wrk",
        "concurrency": concurrency,
        "processes": 1,
        "threads": t,
        "duration_s": secs,
        "window_s": round(window, 3),
        "requests": ok + bad + sock,
        "ok": ok,
        "errors": bad + sock,
        "rps": round(ok / window, 1),
        "p50_ms": ms(lat["p50"]),
        "p90_ms": ms(lat["p90"]),
        "p99_ms": ms(lat["p99"]),
        "p999_ms": ms(lat["p999"]),
        "max_ms": ms(lat["max"]),
        "mean_ms": ms(lat["mean"]),
        "latency_source": source,
        "latency_samples": int(lat.get("count", 0)) if source == "raw" else None,
        "wrk_corrected": {k + "_ms": ms(corr[k]) for k in ("p50", "p90", "p99", "p999", "max", "mean")},
        "statuses": statuses,
        "client_cpu_s": round(cpu + cpu_warm, 2),
        "client_cpu_measured_s": round(cpu, 2),
        "error_samples": samples[:5],
    }
    if chain:
        out["chains"] = {
            "start": chains_start,
            "after_warmup": chains_warm if chains_warm is not None else chains_start,
            "broken_in_run": broken,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (bench/loadgen.py's options; ``--processes`` is accepted and ignored)."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--scenario", help="scenario JSON file")
    g.add_argument("--scenario-json", help="scenario as inline JSON")
    p.add_argument("--concurrency", "-c", type=int, default=32)
    p.add_argument("--duration", "-d", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--threads", "-t", type=int, default=None, help="wrk threads (default min(2, concurrency))")
    p.add_argument("--processes", "-p", type=int, default=1, help="ignored (bench/loadgen.py compatibility)")
    a = p.parse_args(argv)
    if not a.url.startswith("http://127.") and not a.url.startswith("http://localhost"):
        print("wrkgen drives loopback servers only", file=sys.stderr)
        return 2
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "wrkgen: wrk is not installed (apt-get install wrk), or use bench/loadgen.py",
            file=sys.stderr,
        )
        return 3
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
        timeout=a.timeout,
        threads=a.threads,
        wrk=wrk,
    )
    out["pid"] = os.getpid()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
