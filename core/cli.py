"""What every ``onenumber`` sub-command shares: a database session on an engine of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from core.db import make_engine, make_sessionmaker, session_scope
from core.settings import Settings, get_settings

__all__ = ["cli_session"]


@contextmanager
def cli_session(settings: Settings | None = None, *, commit: bool = False) -> Iterator[Session]:
    """A session on the database of ``settings`` (default: the environment's), on an engine made for this
    command and disposed when the block ends, however it ends.

    ``commit=True``: one transaction, committed when the block succeeds and rolled back when it raises.
    Otherwise the command commits what it means to keep; anything left uncommitted is rolled back at close.
    """
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    try:
        factory = make_sessionmaker(engine)
        if commit:
            with session_scope(factory) as session:
                yield session
        else:
            with factory() as session:
                yield session
    finally:
        engine.dispose()
