"""Property test of the hash-chained work log (issue 8, item 2): random sequences of appends, seals, edits
and deletions; ``verify`` fails exactly when a sealed entry was changed or removed."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.worklog import WorkLogEntry, append, seal, verify
from core.worklog.models import WorkLogHead

steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("seal"), st.just(0)),
        st.tuples(st.just("edit"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("edit_same"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=50)),
    ),
    min_size=1,
    max_size=12,
)
FIELDS = st.sampled_from(["details", "actor", "action", "object"])


def _reset(session: Session) -> None:
    session.rollback()
    session.execute(delete(WorkLogEntry))
    session.execute(delete(WorkLogHead))
    session.commit()


def _sealed(session: Session) -> list[WorkLogEntry]:
    return list(
        session.execute(select(WorkLogEntry).where(WorkLogEntry.hash.is_not(None)).order_by(WorkLogEntry.seq))
        .scalars()
        .all()
    )


@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=steps, field=FIELDS)
def test_verify_detects_exactly_the_tampering(session: Session, plan: list[tuple[str, int]], field: str) -> None:
    _reset(session)
    tampered = False
    counter = 0
    for op, arg in plan:
        if op == "append":
            for _ in range(arg):
                counter += 1
                append(session=session, actor="person:p", action="test.act", object=f"thing:{counter}",
                       details={"n": counter})
            session.commit()
        elif op == "seal":
            seal(session=session)
        else:
            rows = _sealed(session)
            if not rows:
                continue
            row = rows[arg % len(rows)]
            if op == "delete":
                session.execute(delete(WorkLogEntry).where(WorkLogEntry.seq == row.seq))
                tampered = True
            else:
                current: Any = getattr(row, field)
                new = current if op == "edit_same" else ({"n": -1} if field == "details" else f"{current}~")
                session.execute(update(WorkLogEntry).where(WorkLogEntry.seq == row.seq).values({field: new}))
                tampered = tampered or op == "edit"
            session.commit()
            session.expunge_all()
    result = verify(session=session)
    assert result.ok is not tampered, (plan, field, result)
    if tampered:
        assert result.broken_at is not None and result.reason
