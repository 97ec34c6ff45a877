"""One JSON error shape for every package: ``{"error": code, "detail": message, "field": name}``."""

from __future__ import annotations

import json
import logging
import math
import secrets
import traceback
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from core.web.security import scrub
from core.wire import WireError as WireError  # the base the handler below renders; its own light module

log = logging.getLogger("core.errors")


class EchoJSONResponse(JSONResponse):
    """JSON that may echo what the client sent: a lone surrogate (``"\\udfff"`` in a JSON body is valid
    JSON but not UTF-8) goes back as the same ``\\u`` escape, an infinity as text, instead of failing to
    encode (a 500)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(_finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def _finite(value: Any) -> Any:
    """``value`` with infinities and NaN (``1e999`` in a JSON body reads as inf) as text: JSON has none."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def error_body(exc: BaseException) -> dict[str, object]:
    """The JSON body for a package error."""
    body: dict[str, object] = {"error": getattr(exc, "code", "server_error"), "detail": str(exc)}
    field = getattr(exc, "field", None)
    if field:
        body["field"] = field
    return body


async def wire_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render a package error with its wire code and HTTP status."""
    headers = getattr(exc, "headers", None)
    return EchoJSONResponse(error_body(exc), status_code=getattr(exc, "status_code", 400), headers=headers)


HTTP_CODES = {400: "invalid_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Framework HTTP errors (unparsable body, unknown path, wrong method) in the same wire shape."""
    status = int(getattr(exc, "status_code", 500))
    body = {"error": HTTP_CODES.get(status, f"http_{status}"), "detail": getattr(exc, "detail", "")}
    return EchoJSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A request FastAPI could not read into its parameters: 422 in the platform's shape. ``detail`` keeps
    FastAPI's list of problems (so the body is also a valid ``HTTPValidationError``); ``field`` names the
    first one by its place in the request (``valid_until``, ``code``, ``items.0.day``)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    body: dict[str, object] = {"error": "invalid_request", "detail": jsonable_encoder(errors)}
    if errors:
        loc = [str(part) for part in errors[0].get("loc", ())]
        body["field"] = ".".join(loc[1:] if len(loc) > 1 else loc) or None
    return EchoJSONResponse(body, status_code=422)


SERVER_ERROR_ZH = "服务器内部错误，请稍后重试；如仍不行，请联系我们并告知错误编号"
SERVER_ERROR_EN = "something went wrong on our side; please try again later, or contact us quoting the reference"
_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>出错了 · Error</title></head>
<body><main><h1>出错了</h1><p>{zh}</p><p lang="en">{en}</p><p>错误编号 / reference: <code>{ref}</code></p>
<p><a href="/hall">返回首页</a> · <a href="/hall?lang=en" lang="en">Home</a></p></main></body></html>
"""
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


def wants_page(request: Request) -> bool:
    """True when a browser is reading a page (not the API or a protocol endpoint)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """The last resort for an exception nothing else handled: 500 in the platform's shape (a human page for
    a browser), never Starlette's ``text/plain`` "Internal Server Error". The traceback is logged through
    the scrubbing log factory (core/web/security.py), so ID numbers and secrets in it are masked; the
    reference in the answer finds it in the log."""
    ref = secrets.token_hex(6)
    trace = "".join(traceback.format_exception(exc))
    log.error("unhandled %s on %s %s [ref %s]\n%s", type(exc).__name__, request.method, request.url.path, ref, trace)
    if wants_page(request):
        page = _PAGE.format(zh=escape(SERVER_ERROR_ZH), en=escape(SERVER_ERROR_EN), ref=ref)
        return HTMLResponse(page, status_code=500, headers={**PAGE_HEADERS, "Connection": "close"})
    body = {"error": "server_error", "detail": f"{SERVER_ERROR_ZH} ({SERVER_ERROR_EN}) [ref {ref}]"}
    return JSONResponse(body, status_code=500, headers={"Cache-Control": "no-store", "Connection": "close"})


async def data_error_handler(request: Request, exc: Exception) -> Response:
    """The database refused a value (PostgreSQL: a NUL character in text, text longer than its column, a
    number out of range): the client's input, which every service should have checked itself; the
    transaction is rolled back with the request. 422 ``invalid_text`` instead of a 500."""
    message = str(getattr(exc, "orig", exc))
    if "NUL" in message or "0x00" in message:
        detail = "文字中不能含有空字符 NUL (text must not contain the NUL character)"
    elif "too long" in message:
        detail = "文字超过长度上限 (a text is longer than its field allows)"
    else:
        detail = "取值超出允许范围 (a value is out of the range its field allows)"
    log.info("database refused a value: %s", type(getattr(exc, "orig", exc)).__name__)
    return JSONResponse({"error": "invalid_text", "detail": detail}, status_code=422)


async def unicode_error_handler(request: Request, exc: Exception) -> Response:
    """A JSON body may carry ``"\\ud800"``: valid JSON, a str in Python, but no character, so the database
    driver cannot encode it. That is the client's text: 422 ``invalid_text``. Any other encoding failure is
    ours (:func:`server_error_handler`)."""
    if isinstance(exc, UnicodeEncodeError) and exc.reason == "surrogates not allowed":
        body = {"error": "invalid_text", "detail": "text must be valid Unicode (a lone surrogate is not a character)"}
        return JSONResponse(body, status_code=422)
    return await server_error_handler(request, exc)


class ScrubbedTraceback(logging.Filter):
    """Masks ID numbers and secrets in the traceback of a record (the log factory scrubs only messages):
    uvicorn logs the exception Starlette re-raises after :func:`server_error_handler` has answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = scrub("".join(traceback.format_exception(record.exc_info[1])).rstrip("\n"))
        return True


def install_server_error_handler(app: FastAPI) -> None:
    """Wire :func:`server_error_handler` into Starlette's outermost ``ServerErrorMiddleware`` (the handler
    of ``Exception``) and scrub the traceback uvicorn logs afterwards."""
    app.add_exception_handler(Exception, server_error_handler)
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ScrubbedTraceback) for f in server_log.filters):
        server_log.addFilter(ScrubbedTraceback())


RETRY_AFTER_S = 5


async def database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database is away (restart, failover, pool exhausted): 503 ``temporarily_unavailable`` with
    ``Retry-After`` instead of a bare 500. SQLAlchemy has already invalidated the broken connections, so the
    next request reconnects without restarting the app. The exception text (it may name hosts) is not sent.
    """
    body = {
        "error": "temporarily_unavailable",
        "detail": "服务暂时不可用，请稍后重试 (the service is briefly unavailable; please retry shortly)",
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


ERROR_SCHEMA: dict[str, object] = {
    "title": "Error",
    "type": "object",
    "description": "Every error of the platform: a wire code, a sentence, the field at fault (OAuth endpoints "
    "answer RFC 6749 §5.2 errors, which carry ``error`` too).",
    "properties": {
        "error": {"type": "string"},
        "detail": {},
        "field": {"type": ["string", "null"]},
    },
    "required": ["error"],
}


def document_errors(app: FastAPI) -> None:
    """Declare the platform's error shape in the OpenAPI document of ``app``.

    Every operation may answer a 4xx ``Error``; a 422 is either FastAPI's request-validation body or an
    ``Error`` raised by a package (unknown type code, invalid identifier…). Without this the published
    schema promised a shape half of the 422 answers did not have (found by the schemathesis run).
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                unprocessable = responses.get("422", {}).get("content", {}).get("application/json")
                if unprocessable and "schema" in unprocessable:
                    unprocessable["schema"] = {"anyOf": [unprocessable["schema"], ref]}
                responses.setdefault(
                    "4XX", {"description": "Error", "content": {"application/json": {"schema": ref}}}
                )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
