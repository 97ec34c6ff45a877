"""Group commit of log rows: many concurrent requests, one INSERT and one COMMIT.

Busy endpoints (token issue, introspection, public verification) have nothing to write but their log row
(a work-log entry, an access-log entry). Written one request at a time, that row costs a transaction —
BEGIN, INSERT, COMMIT and an ORM flush — per request, more than everything else the request does.

A request that opts in (:func:`defer_rows` on its session) has its log rows queued by
:func:`core.worklog.append` and :func:`wallet.licenses.grants.add_entry` instead of added to the
session; after its own transaction the endpoint awaits :meth:`GroupCommit.write`. Rows queued on a session that
commits anyway (a refresh, a code exchange, a reuse detection that commits before it answers with an
error) are inserted into that transaction when it commits instead: one statement more beats a
transaction more, and they commit exactly with the change they describe. The writer inserts
whatever every waiting request queued in one transaction and wakes them all when it has committed,
so each response still leaves only after its log rows are durable (as PostgreSQL's own group commit
does for WAL flushes). There is no timer: under light load a batch is one request; under heavy load the
batch is everything that queued while the previous one was being written. If a batch fails, each
request's rows are written alone, so one bad row fails only its own request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, insert, inspect
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from core.metrics import GROUP_COMMIT_BATCH
from core.runtime import Runtime, Slot

DEFER_KEY = "onenumber.deferred_rows"
ROWS_PER_STATEMENT = 100  # bound parameters per statement stay well under SQLite's limit (32,766)


def defer_rows(session: Session) -> Session:
    """Make log appends on ``session`` queue their rows for :class:`GroupCommit` (returns the session)."""
    session.info[DEFER_KEY] = []
    return session


def defer(session: Session, obj: Any) -> bool:
    """Queue ``obj`` (a new ORM row) if ``session`` defers log rows; False means: add it as usual."""
    pending: list[Any] | None = session.info.get(DEFER_KEY)
    if pending is None:
        return False
    pending.append(obj)
    return True


def take_deferred(session: Session) -> list[Any]:
    """The rows queued on ``session`` (and stop deferring)."""
    pending: list[Any] = session.info.pop(DEFER_KEY, None) or []
    return pending


def _grouped(objs: Iterable[Any]) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Column values of new ORM rows, grouped by table and by the set of columns given (executemany
    needs one shape; columns left unset get their defaults)."""
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for obj in objs:
        mapper = inspect(type(obj))
        table = mapper.local_table
        values = {}
        for attr in mapper.column_attrs:
            value = obj.__dict__.get(attr.key)
            if value is not None:
                values[attr.columns[0].key] = value
        groups.setdefault((table, tuple(sorted(values))), []).append(values)
    return [(table, rows) for (table, _cols), rows in groups.items()]


def insert_rows(executor: Connection | Session, objs: Sequence[Any]) -> None:
    """Insert ``objs`` through ``executor``: one multi-row INSERT ... VALUES per table and chunk (an
    executemany is one statement per row). The caller commits."""
    for table, rows in _grouped(objs):
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            executor.execute(insert(table).values(rows[start : start + ROWS_PER_STATEMENT]))


@event.listens_for(Session, "before_commit")
def _into_committing_transaction(session: Session) -> None:
    pending: list[Any] | None = session.info.get(DEFER_KEY)
    if pending:
        session.info[DEFER_KEY] = []
        insert_rows(session, pending)


class GroupCommit:
    """Per-process writer of deferred log rows (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._waiting: list[tuple[Sequence[Any], asyncio.Future[None]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None

    def insert_now(self, objs: Sequence[Any]) -> None:
        """Write ``objs`` in one transaction (blocking; the drain runs it in a worker thread)."""
        with self._engine.begin() as conn:
            insert_rows(conn, objs)

    async def write(self, objs: Sequence[Any]) -> None:
        """Return once ``objs`` are committed (together with whatever else is waiting)."""
        if not objs:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((objs, done))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        batch: list[tuple[Sequence[Any], asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                GROUP_COMMIT_BATCH.observe(len(batch))
                try:
                    await run_in_threadpool(self.insert_now, [obj for objs, _ in batch for obj in objs])
                except Exception:  # noqa: BLE001 - retried one request at a time below
                    for objs, done in batch:
                        try:
                            await run_in_threadpool(self.insert_now, objs)
                        except Exception as exc:  # noqa: BLE001 - handed to the one waiting request
                            _settle(done, exc)
                        else:
                            _settle(done, None)
                else:
                    for _objs, done in batch:
                        _settle(done, None)
                batch = []
        finally:
            self._draining = False
            leftover, self._waiting = batch + self._waiting, []
            for _objs, done in leftover:  # only when the drain itself was cancelled (shutdown)
                _settle(done, RuntimeError("the log writer stopped before these rows were written"))


def _settle(done: asyncio.Future[None], exc: BaseException | None) -> None:
    if done.done():  # the request went away (client disconnected); its rows were written anyway
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)


def _make_writer(runtime: Runtime) -> GroupCommit:
    return GroupCommit(runtime.engine)


WRITER: Slot[GroupCommit] = Slot("core.group_commit", _make_writer)
"""The app's writer (``runtime.get(WRITER)``, created on first use)."""
