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

# utcnow lives in core/clock.py; re-exported here for the many modules that import it with the database kit.
from core.clock import utcnow as utcnow

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


THREADPOOL_SIZE = 40  # anyio's default thread limiter, which Starlette's run_in_threadpool uses
POOL_OVERFLOW = 10  # background work (work-log sealing, key ring) beyond the request threads
POOL_RECYCLE_S = 1800


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL), with the same behaviour on both."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # One connection per worker thread (Starlette's pool has THREADPOOL_SIZE threads), so checkouts never
    # open and close overflow connections under load; no pre-ping (a SELECT 1 per checkout): connections
    # are recycled after POOL_RECYCLE_S, and a connection found dead mid-request fails that request once and
    # invalidates the whole pool (SQLAlchemy's disconnect handling), so the next checkout reconnects.
    return create_engine(
        url,
        pool_size=THREADPOOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_recycle=POOL_RECYCLE_S,
        pool_pre_ping=False,
        pool_use_lifo=True,
    )


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
