"""No text/plain 500 anywhere (issue 15): an exception nothing handled is answered in the platform's error
shape — ``{"error": "server_error", "detail": …}`` for the API, a human page for a browser — by the handler
Starlette's outermost ServerErrorMiddleware calls; the traceback is logged with ID numbers masked; and a
request FastAPI could not read is a 422 in the same shape, naming the field."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.errors import ScrubbedTraceback

ID_NUMBER = "11010519491231002X"


class Boom(Exception):
    """A bug: nothing in the platform handles it."""


@pytest.fixture
def broken_app(app: Any) -> Any:
    """The app with two routes that raise (added here only)."""

    def api_boom() -> None:
        raise Boom(f"lookup of {ID_NUMBER} failed")

    def page_boom() -> None:
        raise Boom(f"page of {ID_NUMBER} failed")

    app.add_api_route("/api/test-boom", api_boom)
    app.add_api_route("/test-boom-page", page_boom)
    return app


def test_unhandled_exception_on_the_api_is_json(broken_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(broken_app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/api/test-boom", headers={"Accept": "text/html"})  # the API answers JSON
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "server_error" and "请稍后重试" in body["detail"]
    ref = re.search(r"\[ref ([0-9a-f]{12})\]", body["detail"])
    assert ref, body
    assert ID_NUMBER not in response.text and "Boom" not in response.text and "Traceback" not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "core.errors")
    assert ref.group(1) in logged and "Traceback" in logged and "Boom" in logged  # findable, with its trace
    assert ID_NUMBER not in logged and "1101**********002X" in logged


def test_unhandled_exception_on_a_page_is_a_human_page(broken_app: Any) -> None:
    with TestClient(broken_app, raise_server_exceptions=False) as client:
        response = client.get("/test-boom-page", headers={"Accept": "text/html,application/xhtml+xml"})
        plain = client.get("/test-boom-page")  # no browser Accept: the JSON shape
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")
    assert 'lang="zh-CN"' in response.text and "出错了" in response.text and "错误编号" in response.text
    assert ID_NUMBER not in response.text and "Traceback" not in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert plain.status_code == 500 and plain.json()["error"] == "server_error"


def test_request_validation_error_is_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/calendar/add", params={"start": "2026-05-06", "days": "²"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request" and body["field"] == "days"
    assert isinstance(body["detail"], list) and body["detail"][0]["loc"] == ["query", "days"]  # FastAPI's too


def test_traceback_uvicorn_logs_is_scrubbed() -> None:
    """After the handler answered, Starlette re-raises and uvicorn logs the exception with its traceback."""
    record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application",
                               None, None)
    try:
        raise Boom(f"number {ID_NUMBER}")
    except Boom as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    assert ScrubbedTraceback().filter(record)
    text = logging.Formatter().format(record)
    assert "Traceback" in text and "Boom" in text and ID_NUMBER not in text
