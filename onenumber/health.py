"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Database and blob store reachable; 503 naming what is down."""
    checks: dict[str, str] = {}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    from storage import StorageError

    try:
        request.app.state.blob_store.ping()
        checks["blob_store"] = "ok"
    except StorageError as exc:
        checks["blob_store"] = f"down: {exc}"
    down = [name for name, state in checks.items() if state != "ok"]
    body: dict[str, object] = {"status": "ok" if not down else "unavailable", "checks": checks}
    if down:
        body["down"] = down
    return JSONResponse(body, status_code=503 if down else 200)
