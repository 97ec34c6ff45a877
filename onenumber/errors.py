"""One JSON error shape for every package: ``{"error": code, "detail": message, "field": name}``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fastapi import Request
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
