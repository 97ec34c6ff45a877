"""Database engine, sessions and the declarative base with a stable naming convention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Interval
from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker

from core import invalidation
from core.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table of the platform (one metadata, one migration history)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp that behaves the same on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Defaults of the pool settings (ONENUMBER_DB_POOL_SIZE, _MAX_OVERFLOW, _POOL_TIMEOUT in core/settings.py).
THREADPOOL_SIZE = 40  # anyio's default thread limiter, which Starlette's run_in_threadpool uses
POOL_OVERFLOW = 10  # background work (work-log sealing, key ring) beyond the request threads
POOL_TIMEOUT_S = 10.0  # a request waits this long for a connection, then is answered 503
POOL_RECYCLE_S = 1800


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(
    url: str,
    *,
    pool_size: int = THREADPOOL_SIZE,
    max_overflow: int = POOL_OVERFLOW,
    pool_timeout: float = POOL_TIMEOUT_S,
) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL), with the same behaviour on both; the pool
    arguments apply to PostgreSQL (SQLite connections are not pooled that way)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # By default one connection per worker thread (Starlette's pool has THREADPOOL_SIZE threads), so checkouts
    # never open and close overflow connections under load; no pre-ping (a SELECT 1 per checkout): connections
    # are recycled after POOL_RECYCLE_S, and a connection found dead mid-request fails that request once and
    # invalidates the whole pool (SQLAlchemy's disconnect handling), so the next checkout reconnects.
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=POOL_RECYCLE_S,
        pool_pre_ping=False,
        pool_use_lifo=True,
    )


def engine_from_settings(settings: Settings) -> Engine:
    """The app's engine: ``database_url`` with the pool settings, its invalidation listener on ``listen_url``
    (the direct server when the database URL goes through PgBouncer)."""
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )
    if settings.listen_url:
        invalidation.listen_via(engine, settings.listen_url)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _note_flush(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


def _note_execute(state: ORMExecuteState) -> None:
    if not state.is_select:  # update(), delete(), insert() and text(): anything may write
        state.session.info["wrote"] = True


def _forget_writes(session: Session, *_args: Any) -> None:
    session.info.pop("wrote", None)


event.listen(Session, "after_flush", _note_flush)
event.listen(Session, "do_orm_execute", _note_execute)
event.listen(Session, "after_commit", _forget_writes)
event.listen(Session, "after_rollback", _forget_writes)


def autocommit(session: Session) -> Session:
    """Run each of the session's statements in its own transaction; call before its first statement.

    For short public paths (one read, one log insert): no BEGIN and COMMIT round trips, and every write
    is durable when its statement returns, as before.
    """
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session


def has_writes(session: Session) -> bool:
    """True if the session's transaction flushed or executed anything but SELECTs (so it must commit)."""
    return bool(session.info.get("wrote")) or bool(session.new or session.dirty or session.deleted)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# A request value that names a row (path id, slot, document): it must fit an INTEGER column (32 bits on
# PostgreSQL), or the driver fails with an overflow (a 500) instead of the 422 an impossible id deserves
# (found by fuzzing).
DbInt = Annotated[int, Interval(ge=-(2**31), le=2**31 - 1)]
