"""Group commit of log rows: one transaction for many requests, each answered only once its rows are in."""

import asyncio
from typing import Any

from sqlalchemy import Engine, func, select

from core import groupcommit
from core.db import make_sessionmaker
from core.worklog import WorkLogEntry, append, seal, verify


def _count(engine: Engine) -> int:
    with make_sessionmaker(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(WorkLogEntry)) or 0)


def test_append_on_a_deferring_session_queues_instead_of_inserting(engine: Engine) -> None:
    with make_sessionmaker(engine)() as s:
        groupcommit.defer_rows(s)
        entry = append(session=s, actor="client:x", action="token.issue", object="client:x", details={"a": 1})
        s.rollback()  # read-only work ends without a commit: the row waits for the group commit
        assert _count(engine) == 0
        queued = groupcommit.take_deferred(s)
    assert queued == [entry]


def test_a_deferring_session_that_commits_writes_its_rows_in_that_transaction(engine: Engine) -> None:
    with make_sessionmaker(engine)() as s:
        groupcommit.defer_rows(s)
        append(session=s, actor="client:x", action="token.refresh_reuse", object="family:f")
        assert _count(engine) == 0
        s.commit()
        assert groupcommit.take_deferred(s) == []
    assert _count(engine) == 1
    # without deferral, the same call inserts in the caller's transaction at once
    with make_sessionmaker(engine)() as s:
        append(session=s, actor="client:x", action="token.issue", object="client:x")
        s.commit()
    assert _count(engine) == 2


def _queued(engine: Engine, n: int, tag: str) -> list[Any]:
    with make_sessionmaker(engine)() as s:
        groupcommit.defer_rows(s)
        for i in range(n):
            append(session=s, actor=f"client:{tag}", action="token.issue", object=f"o:{tag}:{i}", details={"i": i})
        return groupcommit.take_deferred(s)


def test_concurrent_writers_share_transactions_and_all_rows_land(engine: Engine) -> None:
    writer = groupcommit.GroupCommit(engine)
    commits: list[int] = []
    real = writer.insert_now

    def counting(objs: Any) -> None:
        commits.append(len(objs))
        real(objs)

    writer.insert_now = counting  # type: ignore[method-assign]

    async def main() -> None:
        await asyncio.gather(*(writer.write(_queued(engine, 2, f"r{k}")) for k in range(50)))

    asyncio.run(main())
    assert _count(engine) == 100
    assert sum(commits) == 100
    assert len(commits) < 50  # requests that waited together were written together
    with make_sessionmaker(engine)() as s:
        seal(session=s)
        assert verify(session=s).ok


def test_a_bad_row_fails_only_its_own_request(engine: Engine) -> None:
    writer = groupcommit.GroupCommit(engine)
    good = _queued(engine, 1, "good")
    bad = _queued(engine, 1, "bad")
    bad[0].action = "x" * 5000  # longer than the column allows on PostgreSQL; SQLite would store it
    bad[0].at = "not a time"  # refused by both engines' UTC timestamp type

    async def main() -> list[Any]:
        return await asyncio.gather(writer.write(good), writer.write(bad), return_exceptions=True)

    results = asyncio.run(main())
    assert results[0] is None
    assert isinstance(results[1], Exception)
    with make_sessionmaker(engine)() as s:
        actions = s.scalars(select(WorkLogEntry.object)).all()
    assert actions == ["o:good:0"]


def test_nothing_to_write_returns_at_once(engine: Engine) -> None:
    asyncio.run(groupcommit.GroupCommit(engine).write([]))
    assert _count(engine) == 0

