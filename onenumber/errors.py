"""One JSON error shape for every package: ``{"error": code, "detail": message, "field": name}``."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@runtime_checkable
class WireError(Protocol):
    """What each package's base error (IdpError, WalletError, SigningError, StorageError) provides."""

    code: str
    status_code: int
    field: str | None


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
    return JSONResponse(error_body(exc), status_code=getattr(exc, "status_code", 400), headers=headers)


HTTP_CODES = {400: "invalid_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Framework HTTP errors (unparsable body, unknown path, wrong method) in the same wire shape."""
    status = int(getattr(exc, "status_code", 500))
    body = {"error": HTTP_CODES.get(status, f"http_{status}"), "detail": getattr(exc, "detail", "")}
    return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))


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
