"""The shipped HAProxy configuration (deploy/haproxy/haproxy.cfg) on loopback in front of two instances, for the
multi-instance tests (tests/hardening/test_balancer*.py)."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers.ops_helpers import ROOT, Instance, free_port, stop


def certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and its key in one PEM file, as HAProxy wants it."""
    key, cert = directory / "lb.key", directory / "lb.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    pem = directory / "lb.pem"
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return pem


@dataclass
class Balancer:
    """A running HAProxy: its public https URL, plain-HTTP URL and the certificate clients trust."""

    url: str
    plain_url: str
    cert: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start(directory: Path, backends: tuple[str, str]) -> Balancer:
    """HAProxy with the shipped configuration in front of ``backends`` (host:port each); returns once it
    accepts connections (the instances' health checks may still be going on)."""
    https, plain, metrics = free_port(), free_port(), free_port()
    cert = certificate(directory)
    env = {**os.environ, "ONENUMBER_LB_HTTPS_BIND": f"127.0.0.1:{https}", "ONENUMBER_LB_HTTP_BIND": f"127.0.0.1:{plain}",
           "ONENUMBER_LB_METRICS_BIND": f"127.0.0.1:{metrics}", "ONENUMBER_LB_TLS_PEM": str(cert),
           "ONENUMBER_LB_APP_A": backends[0], "ONENUMBER_LB_APP_B": backends[1], "ONENUMBER_LB_DNS": "127.0.0.1:53",
           "ONENUMBER_LB_MAXCONN": "1000"}
    with open(directory / "haproxy.log", "ab") as log:
        proc = subprocess.Popen(["haproxy", "-db", "-f", str(ROOT / "deploy/haproxy/haproxy.cfg")],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    balancer = Balancer(url=f"https://127.0.0.1:{https}", plain_url=f"http://127.0.0.1:{plain}", cert=cert, proc=proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(balancer.plain_url + "/", timeout=2)
            return balancer
        except httpx.HTTPError:
            assert proc.poll() is None, (directory / "haproxy.log").read_text()[-2000:]
            time.sleep(0.1)
    balancer.stop()
    raise AssertionError("haproxy did not start")


def wait_ready(balancer: Balancer, *, timeout: float = 30) -> None:
    """Until /readyz answers 200 through the balancer, and both instances passed their first checks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(balancer.url + "/readyz", verify=str(balancer.cert), timeout=2).status_code == 200:
                time.sleep(2.5)  # both servers' first health checks passed (inter 2 s, rise 2 from "last" state)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{balancer.url} did not become ready")


def serve_pair(instances: tuple[Instance, Instance], directory: Path, *, ready_timeout: float,
               **env: str) -> list[subprocess.Popen[bytes]]:
    """Start both instances at once (each takes seconds on a busy host); every started one, or an error."""
    with ThreadPoolExecutor(2) as pool:
        starts = [pool.submit(x.serve, directory / f"{n}.log", ready_timeout=ready_timeout, **env)
                  for n, x in zip(("a", "b"), instances, strict=True)]
    started = [s.result() for s in starts if s.exception() is None]
    failed = [s.exception() for s in starts if s.exception() is not None]
    if failed:
        for proc in started:
            stop(proc)
        raise AssertionError("an instance did not start") from failed[0]
    return started


def shut_down(balancer: Balancer | None, procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the balancer and whatever instances still run."""
    if balancer is not None:
        balancer.stop()
    for proc in procs:
        if proc.poll() is None:
            stop(proc)
