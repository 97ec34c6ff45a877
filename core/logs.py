"""Structured logs: the request id of the request being served, and JSON lines (``ONENUMBER_LOG_FORMAT``).

Every request gets an id (:class:`core.metrics.ObservabilityMiddleware` takes a well-formed incoming
``X-Request-ID`` or makes one, returns it in the response's ``X-Request-ID`` and keeps it in
:data:`REQUEST_ID` while the request is served), so a log line, a work-log entry and the client's report of
a failure can be matched. With JSON logs each record is one object on one line::

    {"time": "2026-05-01T08:00:00.123+00:00", "level": "INFO", "logger": "uvicorn.access",
     "message": "127.0.0.1:5 - \\"GET /jwks.json HTTP/1.1\\" 200", "request_id": "4f0c…"}

The redaction of ``core.web.security`` (ID numbers, tokens, secret query parameters) happens before a
record reaches a formatter; :class:`JsonFormatter` also scrubs the traceback and stack text it adds, which
that redaction does not see.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from random import getrandbits
from typing import Any

from core.web.security import scrub

REQUEST_ID: ContextVar[str | None] = ContextVar("onenumber_request_id", default=None)
"""The id of the request this code is serving, or None outside a request."""

_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}").fullmatch


def request_id_for(incoming: bytes | None) -> str:
    """The request id of a request: its own ``X-Request-ID`` when well formed ([A-Za-z0-9._-], 1–64
    characters; a balancer's or a client's), else a new random one (anything else could forge log lines or
    smuggle an ID number into them)."""
    if incoming is not None:
        try:
            text = incoming.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _WELL_FORMED(text) and scrub(text) == text:  # nor an ID number or a token smuggled into the logs
            return text
    return f"{getrandbits(128):032x}"  # unique, not secret: a request id grants nothing (os.urandom is 5× slower)


def current_request_id() -> str | None:
    """The id of the request being served, or None."""
    return REQUEST_ID.get()


def with_request_id(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` plus ``request_id`` while a request is served (work-log entries); unchanged otherwise."""
    request_id = REQUEST_ID.get()
    if request_id is None or "request_id" in details:
        return details
    return {**details, "request_id": request_id}


class JsonFormatter(logging.Formatter):
    """One JSON object per record and line: time (UTC, ISO 8601), level, logger, message, request_id
    (when a request is being served), and the exception or stack, scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = scrub(record.exc_text)
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(*, json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (``onenumber serve`` passes it to uvicorn as
    ``log_config``): JSON lines on stderr for every logger — uvicorn's, its access log and ours — or
    uvicorn's own text format (access lines on stdout) with our loggers on stderr."""
    if json_lines:
        formatters: dict[str, Any] = {"json": {"()": JsonFormatter}}
        handlers: dict[str, Any] = {
            "default": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        }
    else:
        formatters = {
            "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(name)s: %(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
        }
        handlers = {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "handlers": handlers,
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's loggers write through the root's handler (uvicorn.error) or their own (access)
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }
