"""The working-day calendar: 2026 holidays and 调休 working weekends, configurable by administrators."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from wallet.services import calendar
from wallet.services.calendar import WorkingCalendar
from wallet.services.exceptions import InvalidCalendarDay


def test_pure_arithmetic() -> None:
    cal = WorkingCalendar(holidays=frozenset({date(2026, 3, 4)}), workdays=frozenset({date(2026, 3, 7)}))
    assert cal.add_working_days(date(2026, 3, 3), 1) == date(2026, 3, 5)  # Wednesday off
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)  # Saturday works
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
    assert cal.working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == -5
    with pytest.raises(InvalidCalendarDay):
        cal.add_working_days(date(2026, 3, 2), -1)


def test_seed_2026_is_idempotent(session: Session) -> None:
    first = calendar.seed_2026(session=session)
    assert first == 33 + 6  # holiday days + 调休 working days
    assert calendar.seed_2026(session=session) == 0
    assert calendar.add_working_days(session=session, start=date(2026, 1, 2), days=1) == date(2026, 1, 4)


def test_set_day_rules(session: Session) -> None:
    with pytest.raises(InvalidCalendarDay) as err:
        calendar.set_day(session=session, day=date(2026, 3, 4), kind="workday")
    assert err.value.field == "day"
    calendar.set_day(session=session, day=date(2026, 3, 4), kind="holiday", name="示例假日")
    assert calendar.add_working_days(session=session, start=date(2026, 3, 3), days=1) == date(2026, 3, 5)
    assert calendar.remove_day(session=session, day=date(2026, 3, 4)) is True
    assert calendar.add_working_days(session=session, start=date(2026, 3, 3), days=1) == date(2026, 3, 4)
