"""No tracer sees a URL: with an OpenTelemetry provider configured in the process (an operator's agent, or
``opentelemetry-instrument``) and ``ONENUMBER_OTEL`` off, a request whose path and query carry an ID number
leaves no span that names them — FastAPI's own telemetry, on by default in recent versions, would record
``url.path`` and ``url.query``. Run in a subprocess: the provider is process-global."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, INVALID_SPAN_CONTEXT

    spans = []

    class Span(NonRecordingSpan):
        def __init__(self, name, attributes):
            super().__init__(INVALID_SPAN_CONTEXT)
            spans.append({"name": name, "attributes": dict(attributes or {})})
            self.record = spans[-1]
        def is_recording(self):
            return True
        def set_attribute(self, key, value):
            self.record["attributes"][key] = value
        def set_attributes(self, attributes):
            self.record["attributes"].update(attributes)
        def update_name(self, name):
            self.record["name"] = name

    class Tracer(trace.Tracer):
        def start_span(self, name, context=None, kind=None, attributes=None, *args, **kwargs):
            return Span(name, attributes)
        def start_as_current_span(self, name, *args, **kwargs):
            return trace.use_span(self.start_span(name, attributes=kwargs.get("attributes")), end_on_exit=True)

    class Provider(trace.TracerProvider):
        def get_tracer(self, *args, **kwargs):
            return Tracer()

    trace.set_tracer_provider(Provider())

    from fastapi.testclient import TestClient
    from core.settings import Settings
    from onenumber.app import create_app

    settings = Settings(database_url="sqlite:///" + sys.argv[1], storage_url="file://" + sys.argv[2], otel=False)
    with TestClient(create_app(settings)) as client:
        client.get("/api/licenses/11010519491231002X/status?holder=11010519491231002X")
        client.get("/healthz")
    print(json.dumps(spans, ensure_ascii=False))
    """
)


def test_a_configured_tracer_never_sees_a_url_or_an_id_number(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONENUMBER_", "OTEL_", "FASTAPI_OTEL"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "t.db"), str(tmp_path / "blobs")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    spans = json.loads(done.stdout.strip().splitlines()[-1])
    dumped = json.dumps(spans, ensure_ascii=False)
    assert "11010519491231002X" not in dumped and "url.path" not in dumped and "url.query" not in dumped, dumped
