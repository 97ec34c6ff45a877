"""FastAPI dependencies shared by every package, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from core.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request; committed by the service, rolled back on error."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_blob_store(request: Request) -> Any:
    """The configured blob store (local directory or S3)."""
    return request.app.state.blob_store


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BlobStoreDep = Annotated[Any, Depends(get_blob_store)]
