"""FastAPI dependencies shared by every package, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from core.runtime import runtime_of
from core.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request; committed by the service, rolled back on error."""
    session: Session = runtime_of(request).sessionmaker()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return runtime_of(request).settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
