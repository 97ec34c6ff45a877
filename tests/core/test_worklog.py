"""The hash-chained work log: append, verify, and detect edits, insertions and deletions."""

import threading

import pytest
from sqlalchemy import Engine, delete, event, select, update
from sqlalchemy.orm import Session

from core.db import make_sessionmaker
from core.settings import Settings, get_settings
from core.worklog import WorkLogEntry, append, list_entries, seal, verify
from core.worklog.service import WorkLogLeak
from onenumber.cli import main as cli_main


def _fill(session: Session, n: int = 5) -> None:
    for i in range(n):
        append(session=session, actor="person:abc", action="test.act", object=f"thing:{i}", details={"i": i, "名": "张*三"})
    session.commit()
    assert seal(session=session) == n


def test_chain_verifies(session: Session) -> None:
    _fill(session)
    result = verify(session=session)
    assert result.ok and result.checked == 5
    assert [e.object for e in list_entries(session=session, limit=2)] == ["thing:4", "thing:3"]


def test_edit_is_detected_at_that_row(session: Session) -> None:
    _fill(session)
    session.execute(update(WorkLogEntry).where(WorkLogEntry.seq == 3).values(details={"i": 99}))
    session.commit()
    result = verify(session=session)
    assert not result.ok and result.broken_at == 3


def test_deletion_is_detected(session: Session) -> None:
    _fill(session)
    session.execute(delete(WorkLogEntry).where(WorkLogEntry.seq == 2))
    session.commit()
    result = verify(session=session)
    assert not result.ok and result.broken_at == 3 and "deleted" in (result.reason or "")


def test_deleting_the_tail_is_detected(session: Session) -> None:
    _fill(session)
    session.execute(delete(WorkLogEntry).where(WorkLogEntry.seq == 5))
    session.commit()
    assert verify(session=session).broken_at == 5


def test_insertion_is_detected(session: Session) -> None:
    _fill(session)
    row = session.execute(select(WorkLogEntry).where(WorkLogEntry.seq == 3)).scalar_one()
    at, prev_hash = row.at, row.prev_hash
    for seq in (5, 4, 3):
        session.execute(update(WorkLogEntry).where(WorkLogEntry.seq == seq).values(position=seq + 1))
    session.expunge_all()
    session.add(WorkLogEntry(seq=100, at=at, actor="x", action="forged", object="o", details={},
                             position=3, prev_hash=prev_hash, hash="f" * 64))
    session.commit()
    assert verify(session=session).broken_at == 100


def test_unsealed_entries_are_sealed_in_order(session: Session) -> None:
    _fill(session, 2)
    append(session=session, actor="system", action="late", object="o:late")
    session.commit()
    assert seal(session=session) == 1
    assert seal(session=session) == 0
    result = verify(session=session)
    assert result.ok and result.checked == 3


def test_contains_id_number_is_precise() -> None:
    from core.worklog.service import contains_id_number

    assert contains_id_number("holder 11010519491231002X")
    assert contains_id_number('{"n": "110102199101010078"}')
    # an all-digit credit code (示例市民政局) and serials are not ID numbers
    assert not contains_id_number("dept 111100000001370319")
    assert not contains_id_number("110102199101010079")
    assert not contains_id_number("1101**********0078")


def test_refuses_clear_id_numbers(session: Session) -> None:
    with pytest.raises(WorkLogLeak):
        append(session=session, actor="person:x", action="a", object="o", details={"n": "11010519491231002X"})
    session.rollback()
    assert session.execute(select(WorkLogEntry)).first() is None


def test_parallel_appends_do_not_fork(engine: Engine) -> None:
    factory = make_sessionmaker(engine)

    def worker(k: int) -> None:
        for i in range(10):
            with factory() as s:
                append(session=s, actor=f"w:{k}", action="p", object=f"o:{i}")
                s.commit()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as s:
        result = verify(session=s)
    assert result.ok and result.checked == 40


def test_cli_verify_exit_codes(session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    _fill(session, 3)
    monkeypatch.setenv("ONENUMBER_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        assert cli_main(["worklog", "verify"]) == 0
        assert "3 entries verified" in capsys.readouterr().out
        session.execute(update(WorkLogEntry).where(WorkLogEntry.seq == 2).values(actor="someone-else"))
        session.commit()
        assert cli_main(["worklog", "verify"]) == 1
        assert "BROKEN at entry 2" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def test_sealing_rereads_the_head_another_process_moved_between_batches(engine: Engine) -> None:
    # seal() works in batches, one commit each; the session keeps the head it wrote. If another process
    # seals between two batches, the next batch must start from the head in the database.
    factory = make_sessionmaker(engine)
    with factory() as first, factory() as other:
        for i in range(4):
            append(session=first, actor="a", action="p", object=f"o:{i}")
        first.commit()
        interleaved: list[int] = []

        def other_seals(_session: Session) -> None:
            if not interleaved:
                interleaved.append(0)
                append(session=other, actor="b", action="p", object="x")
                other.commit()
                interleaved.append(seal(session=other))
                for name in ("y", "z"):  # left for the first process's next batch
                    append(session=other, actor="b", action="p", object=name)
                other.commit()

        event.listen(first, "after_commit", other_seals)
        try:
            sealed = seal(session=first, batch=2)
        finally:
            event.remove(first, "after_commit", other_seals)
        assert interleaved == [0, 3]  # after the first batch, the other process sealed o:2, o:3 and x
        assert sealed == 2 + 2
        result = verify(session=first)
    assert result.ok and result.checked == 7


def test_one_background_sealer_at_a_time(engine: Engine) -> None:
    """While another instance seals (PostgreSQL: it holds the sealer's advisory lock), a background round
    leaves the entries to it instead of queueing; once it is done, the next round seals them."""
    from sqlalchemy import text

    from core.worklog.service import SEALER_LOCK

    factory = make_sessionmaker(engine)
    with factory() as session:
        append(session=session, actor="person:abc", action="test.act", object="thing:1", details={})
        session.commit()
        other = engine.connect()
        try:
            if engine.dialect.name == "postgresql":
                other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEALER_LOCK})
                assert seal(session=session, wait=False) == 0
                assert session.execute(select(WorkLogEntry.position)).scalar_one() is None
        finally:
            other.rollback()  # the other sealer's transaction ends: its lock goes with it
            other.close()
        assert seal(session=session, wait=False) == 1
        assert verify(session=session).ok
