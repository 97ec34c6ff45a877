"""PDF verification flood: /healthz latency while parallel clients upload ~9 MB sealed PDFs (issue 15).

    .venv/bin/python bench/verify_flood_bench.py [--uploaders 20] [--duration 30] [--server-workers 1]

Throwaway SQLite database and blob directory in a temporary directory: ``onenumber db upgrade``,
``onenumber sign demo`` (a sealed B-T demo approval), grown to ~9 MB by an incremental update of small
objects (``tests/signing/hostile_pdfs.grown``: the seal stays valid, pyHanko parses and compares all of it,
~2 s of CPU per file); then ``onenumber serve`` with ``ONENUMBER_RATE_LIMIT_VERIFY_PER_MINUTE=0``. A
separate process runs ``--uploaders`` threads that POST the file to ``/api/verify/pdf`` in a loop (not
honouring ``Retry-After``: the worst case), while this process GETs ``/healthz`` every 50 ms on a fresh
connection (raw HTTP/1.1 over a socket) and records the latency, alternating with the same request to a
control: a bare asyncio responder in its own process, which shows what the machine's own scheduling
(other load, two cores shared with the workers and the clients) adds. Prints a Markdown table for
docs/BENCHMARKS.md ("PDF verification flood").
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _flood(url: str, pdf_path: str, uploaders: int, duration: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Body of the load process: ``uploaders`` threads uploading in a loop for ``duration`` seconds."""
    data = Path(pdf_path).read_bytes()
    stop_at = time.monotonic() + duration
    counts: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    answer_s: list[float] = []

    def loop() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            while time.monotonic() < stop_at:
                started = time.monotonic()
                try:
                    response = client.post("/api/verify/pdf", files={"file": ("big.pdf", data, "application/pdf")})
                    key = str(response.status_code)
                    if response.status_code == 200:
                        key += " valid" if response.json()["valid"] else " " + ",".join(response.json()["reason_codes"])
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                with lock:
                    counts[key] += 1
                    if key == "200 valid":
                        answer_s.append(time.monotonic() - started)

    threads = [threading.Thread(target=loop) for _ in range(uploaders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((dict(counts), answer_s))


def _control_server(port: int) -> None:
    """A bare asyncio HTTP responder: what /healthz would cost with no platform behind it (the control)."""
    import asyncio

    body = b'{"status":"ok"}'
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _healthz_once(port: int) -> float:
    """One GET /healthz on a new TCP connection, raw HTTP/1.1 (no client library cost in the figure)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    elapsed = time.perf_counter() - started
    return elapsed if reply.startswith(b"HTTP/1.1 200") and reply.endswith(b'{"status":"ok"}') else float("inf")


def _probe(port: int, control: int, seconds: float, interval: float = 0.05) -> tuple[list[float], list[float]]:
    """/healthz latencies (s) of the platform and of the control responder, alternately, one request every
    ``interval``; inf for a failed one."""
    samples: tuple[list[float], list[float]] = ([], [])
    stop_at = time.monotonic() + seconds
    n = 0
    while time.monotonic() < stop_at:
        which = n % 2
        n += 1
        try:
            elapsed = _healthz_once((port, control)[which])
        except OSError:
            elapsed = float("inf")
        samples[which].append(elapsed)
        time.sleep(max(0.0, interval / 2 - (elapsed if elapsed != float("inf") else 0.0)))
    return samples


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants (the fork server and the verification workers)."""
    from bench.harness.procs import children, cpu_seconds

    todo, total = [pid], 0.0
    while todo:
        p = todo.pop()
        total += cpu_seconds(p)
        todo.extend(children(p))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploaders", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of flood")
    parser.add_argument("--server-workers", type=int, default=1, help="onenumber serve --workers")
    parser.add_argument("--size-mb", type=float, default=9.0)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="verify-flood-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONENUMBER_")}
    env.update(
        ONENUMBER_ENV="development",
        ONENUMBER_DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}",
        ONENUMBER_STORAGE_URL=f"file://{tmp / 'blobs'}",
        ONENUMBER_SECRET_KEY="bench-master-key-0123456789abcdef0123",
        ONENUMBER_ISSUER=url,
        ONENUMBER_RATE_LIMIT_VERIFY_PER_MINUTE="0",
    )
    cli = [sys.executable, "-m", "onenumber"]
    subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*cli, "sign", "demo", str(tmp / "demo.pdf")], cwd=ROOT, env=env, check=True, capture_output=True)
    from tests.signing.hostile_pdfs import grown

    big = grown((tmp / "demo.pdf").read_bytes(), target=int(args.size_mb * 1024 * 1024))
    (tmp / "big.pdf").write_bytes(big)

    log = open(tmp / "server.log", "wb")  # open for the server's lifetime
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(args.server_workers)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start; see {tmp / 'server.log'}")
            time.sleep(0.1)
        # one verification first: workers started, PKI loaded, the seal really is valid
        first = httpx.post(url + "/api/verify/pdf", files={"file": ("big.pdf", big, "application/pdf")}, timeout=120)
        assert first.status_code == 200 and first.json()["valid"], first.text[:500]
        ctx = multiprocessing.get_context("spawn")
        control_port = _free_port()
        control = ctx.Process(target=_control_server, args=(control_port,), daemon=True)
        control.start()
        time.sleep(1)
        idle, idle_control = _probe(port, control_port, 5)

        results: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
        load = ctx.Process(target=_flood, args=(url, str(tmp / "big.pdf"), args.uploaders, args.duration, results))
        cpu_before = _tree_cpu_seconds(server.pid)
        started = time.monotonic()
        load.start()
        time.sleep(2)  # let the queue fill
        flood, flood_control = _probe(port, control_port, args.duration - 2)
        load_avg = os.getloadavg()[0]
        counts, answer_s = results.get(timeout=args.duration + 300)
        load.join()
        wall = time.monotonic() - started
        cpu = _tree_cpu_seconds(server.pid) - cpu_before
        control.kill()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    lost = sum(1 for s in flood if s == float("inf"))
    flood_ok = [s for s in flood if s != float("inf")]
    verified = counts.get("200 valid", 0)
    print(f"machine: {os.cpu_count()} CPUs, load average {load_avg:.1f} at the end of the flood")
    print(f"file {len(big) / 1024 / 1024:.1f} MiB; {args.uploaders} uploaders for "
          f"{args.duration:g} s; serve --workers {args.server_workers}; verify workers per server process: "
          f"default (min(2, CPUs)), queue limit 16")
    print()
    flood_control_ok = [s for s in flood_control if s != float("inf")]
    print("| /healthz latency | idle | during the flood | control responder, idle | control, during the flood |")
    print("|---|---:|---:|---:|---:|")
    for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        print(f"| {label} (ms) | {_pct(idle, q):.1f} | {_pct(flood_ok, q):.1f} | {_pct(idle_control, q):.1f} | "
              f"{_pct(flood_control_ok, q):.1f} |")
    print(f"| max (ms) | {max(idle) * 1000:.1f} | {max(flood_ok) * 1000:.1f} | {max(idle_control) * 1000:.1f} | "
          f"{max(flood_control_ok) * 1000:.1f} |")
    print(f"| probes (failed) | {len(idle)} (0) | {len(flood)} ({lost}) | {len(idle_control)} | {len(flood_control)} |")
    print()
    print(f"uploads: {dict(sorted(counts.items()))}; {verified / wall:.2f} valid verifications/s; "
          f"verification answer p50 {statistics.median(answer_s) if answer_s else 0:.1f} s; "
          f"server + workers CPU {cpu:.0f} s in {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
