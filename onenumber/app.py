"""App factory: one ASGI app that mounts idp, wallet and signing for the embedded default."""

from __future__ import annotations

from contextlib import asynccontextmanager
from collections.abc import AsyncIterator

from fastapi import FastAPI

from onenumber.db import make_engine, make_sessionmaker
from onenumber.errors import wire_error_handler
from onenumber.health import router as health_router
from onenumber.settings import Settings, get_settings


def open_blob_store(settings: Settings):  # type: ignore[no-untyped-def]
    """The blob store named by ``ONENUMBER_STORAGE_URL``."""
    from storage import open_store

    return open_store(settings.storage_url, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the platform app on ``settings`` (default: the environment)."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="OneNumber",
        version="0.1.0",
        description="一号登录、一证通用、一网通办 — one number, one login, one wallet.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.blob_store = open_blob_store(settings)

    from idp.errors import IdpError
    from signing.errors import SigningError
    from storage import StorageError
    from wallet.errors import WalletError

    for base in (IdpError, WalletError, SigningError, StorageError):
        app.add_exception_handler(base, wire_error_handler)

    from idp.router import router as idp_router
    from signing.router import router as signing_router
    from wallet.router import router as wallet_router

    app.include_router(health_router)
    app.include_router(idp_router)
    app.include_router(signing_router)
    app.include_router(wallet_router)
    return app
