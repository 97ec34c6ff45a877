"""The hash-chained work log: append, verify, and detect edits, insertions and deletions."""

import threading

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from onenumber.cli import main as cli_main
from onenumber.db import make_sessionmaker
from onenumber.settings import Settings, get_settings
from onenumber.worklog import WorkLogEntry, append, list_entries, verify
from onenumber.worklog.service import WorkLogLeak


def _fill(session: Session, n: int = 5) -> None:
    for i in range(n):
        append(session=session, actor="person:abc", action="test.act", object=f"thing:{i}", details={"i": i, "名": "张*三"})
    session.commit()


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
    assert not result.ok and result.broken_at == 2


def test_deleting_the_tail_is_detected(session: Session) -> None:
    _fill(session)
    session.execute(delete(WorkLogEntry).where(WorkLogEntry.seq == 5))
    session.commit()
    assert verify(session=session).broken_at == 5


def test_insertion_is_detected(session: Session) -> None:
    _fill(session)
    row = session.execute(select(WorkLogEntry).where(WorkLogEntry.seq == 5)).scalar_one()
    at, prev_hash = row.at, row.prev_hash
    session.execute(update(WorkLogEntry).where(WorkLogEntry.seq == 5).values(seq=6))
    session.expunge_all()
    session.add(WorkLogEntry(seq=5, at=at, actor="x", action="forged", object="o", details={},
                             prev_hash=prev_hash, hash="f" * 64))
    session.commit()
    assert verify(session=session).broken_at == 5


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
