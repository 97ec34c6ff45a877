"""OpenTelemetry tracing, off unless ``ONENUMBER_OTEL=1`` and opentelemetry-api and -sdk are installed.

One server span a request, named ``METHOD /route/{template}`` (never the URL: it may carry tokens or ID
numbers), with the method, route, status and request id as attributes; an incoming W3C ``traceparent``
continues the caller's trace. Spans go to the OTLP exporter when opentelemetry-exporter-otlp-proto-http is
installed (``OTEL_EXPORTER_OTLP_ENDPOINT`` etc., the SDK's own variables), else to stdout.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import REQUEST_ID

log = logging.getLogger("core.tracing")


class TracingMiddleware:
    """Pure ASGI: a server span around each HTTP request."""

    def __init__(self, app: ASGIApp, *, tracer: Any, extract: Any, server_kind: Any) -> None:
        self.app = app
        self.tracer = tracer
        self.extract = extract
        self.server_kind = server_kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
                   if name in (b"traceparent", b"tracestate")}
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(method, context=self.extract(carrier), kind=self.server_kind) as span:
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                request_id = REQUEST_ID.get()
                if request_id is not None:
                    span.set_attribute("onenumber.request_id", request_id)


def install_tracing(app: Any) -> bool:
    """Add :class:`TracingMiddleware` to ``app`` and, if none is set, an SDK tracer provider; False (and a
    warning) when OpenTelemetry is not installed."""
    try:
        # lazily: an optional dependency, imported only when ONENUMBER_OTEL=1 asks for it
        from opentelemetry import propagate, trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("ONENUMBER_OTEL=1 but opentelemetry-api/-sdk are not installed: tracing stays off")
        return False
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": "onenumber"}))
        provider.add_span_processor(BatchSpanProcessor(_exporter()))
        trace.set_tracer_provider(provider)
    app.add_middleware(TracingMiddleware, tracer=trace.get_tracer("onenumber"), extract=propagate.extract,
                       server_kind=trace.SpanKind.SERVER)
    return True


def _exporter() -> Any:
    try:
        # lazily: the OTLP exporter is optional too
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter  # lazily: only without OTLP

        return ConsoleSpanExporter()
    return OTLPSpanExporter()
