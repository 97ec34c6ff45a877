"""Liveness and readiness probes.

``/healthz`` is liveness only: the process answers. ``/readyz`` checks each dependency and says which
features are degraded without it; it fails (503, the balancer takes the instance out) only when the
instance can serve nothing useful — the database is down. With the blob store down, login, tokens,
verification of presentations and the hall's pages still work, so the instance stays in rotation and
``/readyz`` answers 200 ``degraded`` naming what is not available. With the shared rate-limit store (Redis,
``ONENUMBER_REDIS_URL``) down, the requests that guard credentials answer 503 (core/ratelimit.py: fail closed)
and the other limits are not applied; reads go on, so that too is ``degraded``. Without ``ONENUMBER_REDIS_URL``
the limits live in each process and there is no ``redis`` check.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.limiter import LIMITER
from core.runtime import runtime_of
from storage import StorageError
from storage.deps import blob_store_of

router = APIRouter(tags=["health"])
log = logging.getLogger("onenumber.health")

# What stops working while a dependency is down (the rest of the platform keeps serving).
FEATURES_WITHOUT = {
    "database": ["everything"],
    "blob_store": ["license_issuance", "license_downloads", "material_uploads", "application_results"],
    # fail closed (503) while the shared counters are away; every other limit is lifted meanwhile
    "redis": ["login", "password_reset", "registration", "shared_rate_limits"],
}
ESSENTIAL = ("database",)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (answered on the event loop: no thread hop, so it measures the loop itself)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Each dependency's state; 503 only when an essential one (the database) is down."""
    checks: dict[str, str] = {}
    try:
        with runtime_of(request).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: database down: %s", type(exc).__name__)
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        blob_store_of(request).ping()
        checks["blob_store"] = "ok"
    except StorageError as exc:
        # The detail (endpoint, bucket) goes to the operator's log, not to anyone who asks.
        log.warning("readiness: blob store down: %s", exc)
        checks["blob_store"] = f"down: {type(exc).__name__}"
    limiter = runtime_of(request).get(LIMITER)
    if limiter.name == "redis":
        problem = limiter.check()
        if problem is not None:
            log.warning("readiness: rate-limit store (redis) down: %s", problem)
        checks["redis"] = "ok" if problem is None else f"down: {problem}"
    down = [name for name, state in checks.items() if state != "ok"]
    failed = any(name in ESSENTIAL for name in down)
    status = "ok" if not down else ("unavailable" if failed else "degraded")
    body: dict[str, object] = {"status": status, "checks": checks}
    if down:
        body["down"] = down
        body["unavailable_features"] = sorted({f for name in down for f in FEATURES_WITHOUT[name]})
    return JSONResponse(body, status_code=503 if failed else 200)
