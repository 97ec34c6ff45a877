"""Prometheus metrics at ``/metrics`` and the per-request middleware that feeds them (and the request id).

What is counted (names as exposed; ``docs/grafana-onenumber.json`` draws them):

- ``onenumber_http_requests_total`` and ``onenumber_http_request_duration_seconds`` (histogram), by
  ``method``, ``route`` — the matched route's template (``/api/licenses/{identifier}``), never the URL, so
  no ID number or token becomes a label; ``unmatched`` when no route matched — and ``status`` class (``2xx``);
- ``onenumber_tokens_issued_total{grant_type}`` (idp/oauth/server.py), ``onenumber_logins_total{outcome}``
  (idp/web/login.py), ``onenumber_verifications_total{kind,result}`` (wallet/licenses/verification.py);
- ``onenumber_group_commit_batch_requests`` (histogram: requests whose rows one group-commit transaction
  wrote, core/groupcommit.py);
- read when scraped, from the answering process: ``onenumber_db_pool_checked_out`` (connections the
  engine's pool has lent out) and ``onenumber_invalidation_received_total`` (NOTIFYs the listener got), both
  labelled with the process ``pid``; plus prometheus-client's process and GC metrics (single process).

Several server processes (``onenumber serve --workers N``): the CLI points ``PROMETHEUS_MULTIPROC_DIR`` at a
fresh directory before the workers start, every worker writes its counters there, and any worker's
``/metrics`` answers the sum of all (prometheus-client's multiprocess mode; docs/DEPLOY.md "Metrics").

``/metrics`` answers only clients in ``ONENUMBER_METRICS_ALLOW`` (CIDRs; default loopback and the private
ranges) and is not in the OpenAPI document.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from time import perf_counter
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import invalidation
from core.logs import REQUEST_ID, request_id_for
from core.runtime import runtime_of
from core.wire import WireError

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_LABELS = ("method", "route", "status")
REQUESTS = Counter("onenumber_http_requests", "HTTP requests answered", _LABELS)
REQUEST_SECONDS = Histogram(
    "onenumber_http_request_duration_seconds", "Time from the request to the end of its answer", _LABELS,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TOKENS_ISSUED = Counter("onenumber_tokens_issued", "Tokens issued at /token", ["grant_type"])
LOGINS = Counter("onenumber_logins", "Password logins at /login", ["outcome"])
VERIFICATIONS = Counter("onenumber_verifications", "License verifications", ["kind", "result"])
GROUP_COMMIT_BATCH = Histogram(
    "onenumber_group_commit_batch_requests", "Requests whose rows one group-commit transaction wrote",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID_HEADER = b"x-request-id"


class ObservabilityMiddleware:
    """Pure ASGI (a few microseconds a request): the request id (contextvar and ``X-Request-ID``
    response header) and the request's count and duration by route template and status class."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}  # label children, made once each

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_HEADER:
                incoming = value
                break
        request_id = request_id_for(incoming)
        echoed = (_REQUEST_ID_HEADER, request_id.encode("ascii"))
        status = 500  # what the client gets if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        reset = REQUEST_ID.set(request_id)
        started = perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = perf_counter() - started
            REQUEST_ID.reset(reset)
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            key = (scope["method"], template, status // 100)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _children(*key)
            series[0].inc()
            series[1].observe(elapsed)


def _children(method: str, template: str, status_class: int) -> tuple[Any, Any]:
    labels = (method if method in _METHODS else "other", template, f"{status_class}xx")
    return REQUESTS.labels(*labels), REQUEST_SECONDS.labels(*labels)


# --- /metrics -----------------------------------------------------------------------------------------------
router = APIRouter(include_in_schema=False)


class MetricsForbidden(WireError):
    """/metrics from an address outside ``ONENUMBER_METRICS_ALLOW``."""

    code = "forbidden"
    status_code = 403


@lru_cache(maxsize=8)
def allowed_networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of an ``ONENUMBER_METRICS_ALLOW`` value (a ValueError names a bad entry)."""
    networks = []
    for part in setting.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"ONENUMBER_METRICS_ALLOW: {part.strip()!r} is not a network") from exc
    return tuple(networks)


def may_scrape(address: str | None, setting: str) -> bool:
    """True when ``address`` (the client, as the server sees it after trusted proxy headers) is allowed."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a unix socket, a test client's name: not a network address
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in allowed_networks(setting))


class _ScrapeTime(Collector):
    """What is read when scraped, from this process: the engine's pool and the invalidation listener."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        pid = str(os.getpid())
        pool = self.engine.pool
        checked_out = GaugeMetricFamily(
            "onenumber_db_pool_checked_out", "Database connections lent out by this process's pool", labels=["pid"]
        )
        checked_out.add_metric([pid], pool.checkedout() if isinstance(pool, QueuePool) else 0)
        yield checked_out
        received = CounterMetricFamily(
            "onenumber_invalidation_received", "NOTIFY messages this process's listener received", labels=["pid"]
        )
        received.add_metric([pid], sum(invalidation.stats().values()))
        yield received


class _Scrape(Collector):
    """The registry of this scrape: every process's metrics (multiprocess mode) or this one's, and the
    scrape-time values."""

    def __init__(self, sources: Iterable[Collector]) -> None:
        self.sources = list(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def exposition(engine: Engine) -> bytes:
    """The text exposition of the metrics, with the pool of ``engine``."""
    if os.environ.get(MULTIPROC_VARIABLE):
        shared = CollectorRegistry()
        MultiProcessCollector(shared)
        return generate_latest(_Scrape([shared, _ScrapeTime(engine)]))
    return generate_latest(_Scrape([REGISTRY, _ScrapeTime(engine)]))


@router.get("/metrics")
def metrics_endpoint(request: Request) -> Response:
    """Prometheus text exposition, for the allowed networks only."""
    runtime = runtime_of(request)
    client = request.client.host if request.client else None
    if not may_scrape(client, runtime.settings.metrics_allow):
        raise MetricsForbidden("/metrics is open to the monitoring networks only (ONENUMBER_METRICS_ALLOW)")
    return Response(exposition(runtime.engine), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def prepare_worker_directory(workers: int) -> str | None:
    """Before ``workers`` > 1 server processes start: the directory of their shared metrics (``$PROMETHEUS_
    MULTIPROC_DIR`` emptied of an earlier run's files, else a new temporary one, set for the workers to
    inherit); None for one process, which keeps its metrics in memory."""
    if workers <= 1:
        return None
    directory = os.environ.get(MULTIPROC_VARIABLE) or tempfile.mkdtemp(prefix="onenumber-metrics-")
    for stale in Path(directory).glob("*.db"):  # an earlier run's counts would be added to this one's
        stale.unlink()
    os.environ[MULTIPROC_VARIABLE] = directory
    return directory
