"""App factory: one ASGI app that mounts idp, wallet and signing for the embedded default."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels import router as channels_router
from core import worklog
from core.bodylimit import BodyLimitMiddleware
from core.db import engine_from_settings, make_sessionmaker
from core.errors import (
    WireError,
    data_error_handler,
    database_unavailable_handler,
    document_errors,
    http_error_handler,
    install_server_error_handler,
    unicode_error_handler,
    validation_error_handler,
    wire_error_handler,
)
from core.limiter import LIMITER, open_limiter
from core.metrics import ObservabilityMiddleware
from core.metrics import router as metrics_router
from core.ratelimit import RateLimitMiddleware
from core.runtime import Runtime, runtime_of
from core.settings import Settings, get_settings
from core.tracing import install_tracing
from core.web.security import SecurityHeadersMiddleware, install_log_redaction
from idp.backchannel import get_backchannel_settings
from idp.backchannel import worker as backchannel
from idp.proofing.router import router as proofing_router
from idp.router import hot_router as idp_hot_router
from idp.router import router as idp_router
from idp.tokens import VERIFIER
from onenumber import purge
from onenumber.blobs import router as blobs_router
from onenumber.health import router as health_router
from onenumber.kernel_hooks import install_kernel_hooks
from signing.router import router as signing_router
from signing.settings import SigningSettings
from signing.workers import configure_shared_pool, shutdown_shared_pool
from storage.deps import BLOB_STORE, open_blob_store
from wallet.router import hot_router as wallet_hot_router
from wallet.router import router as wallet_router

__all__ = ["create_app", "open_blob_store"]

log = logging.getLogger("onenumber")


async def _seal_work_log(app: FastAPI, interval: float) -> None:
    """Link new work-log entries into the hash chain every ``interval`` seconds."""
    def seal_once() -> None:
        with runtime_of(app).sessionmaker() as session:
            worklog.seal(session=session, wait=False)  # one sealer at a time across instances

    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(seal_once)
        except SQLAlchemyError as exc:  # the database may be briefly away; try again next round
            log.warning("work-log sealing failed: %s", type(exc).__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the platform app on ``settings`` (default: the environment)."""
    install_kernel_hooks()  # the work log's exact ID-number check (onenumber/kernel_hooks.py)
    settings = settings or get_settings()
    engine = engine_from_settings(settings)  # pool sizes and the LISTEN URL from the settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sealer = None
        if settings.worklog_seal_interval > 0:
            sealer = asyncio.create_task(_seal_work_log(app, settings.worklog_seal_interval))
        purger = None
        if settings.purge_interval > 0:  # expired rows (onenumber/purge.py); harmless on several instances
            purger = asyncio.create_task(
                purge.run_periodically(runtime_of(app).sessionmaker, settings, settings.purge_interval)
            )
        courier = None
        if get_backchannel_settings().backchannel_poll_interval > 0:  # back-channel logout retries, any instance's
            courier = asyncio.create_task(backchannel.run_periodically(runtime_of(app)))
        # Everything loaded so far (modules, the app, SQLAlchemy's mappers: a quarter million objects) lives
        # as long as the process: out of the collector's sight, the full collections that requests'
        # garbage triggers now and then take a millisecond or two instead of tens (seen under load).
        gc.collect()
        gc.freeze()
        yield
        for task in (sealer, purger, courier):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        # PDF verification workers (signing/workers.py, started on first use): queued files finish, then
        # the processes exit; without waiting here, so shutdown does not stall on a slow file.
        shutdown_shared_pool(wait=False)
        engine.dispose()

    app = FastAPI(
        title="OneNumber",
        version="0.1.0",
        description="一号登录、一证通用、一网通办 — one number, one login, one wallet.",
        lifespan=lifespan,
        # FastAPI's own telemetry (0.16x) starts whenever any OpenTelemetry provider is configured in the
        # process, and puts url.path and url.query (ID numbers, codes) on its spans: always off here; the
        # spans of core/tracing.py (ONENUMBER_OTEL=1) carry route templates only. Older FastAPI ignores it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    runtime = Runtime(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine))
    runtime.put(BLOB_STORE, open_blob_store(settings))  # opened now: a bad storage URL fails at start-up
    runtime.put(LIMITER, open_limiter(settings))  # rate-limit buckets: Redis when ONENUMBER_REDIS_URL is set
    runtime.token_verifier = runtime.get(VERIFIER)  # what wallet and channels verify tokens with
    app.state.runtime = runtime  # the only attribute on app.state (core/runtime.py)
    configure_shared_pool(SigningSettings())  # signing's PDF worker pool: ONENUMBER_VERIFY_*

    app.add_exception_handler(WireError, wire_error_handler)  # IdpError, WalletError, SigningError, StorageError
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(UnicodeEncodeError, unicode_error_handler)
    app.add_exception_handler(DataError, data_error_handler)  # a value the database refuses: 422
    install_server_error_handler(app)  # last resort: a 500 in the error shape, never text/plain
    for db_fault in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(db_fault, database_unavailable_handler)
    document_errors(app)
    app.add_middleware(RateLimitMiddleware, settings=settings, limiter=runtime.get(LIMITER))
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, hsts=not settings.is_development)
    if settings.otel:  # OpenTelemetry spans (core/tracing.py; needs opentelemetry-sdk)
        install_tracing(app)
    app.add_middleware(ObservabilityMiddleware)  # outermost: request id and metrics for every answer
    install_log_redaction()

    # Matched in this order: the busiest endpoints first (each route passed costs 1–2 µs per request).
    app.include_router(idp_hot_router)
    app.include_router(wallet_hot_router)
    app.include_router(health_router)
    app.include_router(blobs_router)
    app.include_router(metrics_router)  # /metrics, allowed networks only (core/metrics.py)
    app.include_router(idp_router)
    app.include_router(proofing_router)  # 实名认证 pages (idp/proofing)
    app.include_router(signing_router)
    app.include_router(wallet_router)
    app.include_router(channels_router)  # hall, counter console, kiosk, admin, public verify page
    return app
