"""Working-day calendar: Monday–Friday, minus public holidays, plus adjusted working weekends (调休).

Deadlines (限时办结) count working days in China Standard Time. Exceptions live in
:class:`wallet.services.models.CalendarDay`; :class:`WorkingCalendar` is the pure arithmetic over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import worklog
from core.clock import CHINA_TZ as CHINA_TZ  # the platform's one clock, re-exported for the applications code
from core.clock import local_date as local_date
from wallet.services.exceptions import InvalidCalendarDay
from wallet.services.models import CalendarDay

# Working days beyond this are refused: no service has a time limit of more than a year.
MAX_DAYS = 366

# 国务院办公厅关于2026年部分节假日安排的通知: (first day, last day, name) and the 调休 working weekends.
HOLIDAYS_2026: tuple[tuple[date, date, str], ...] = (
    (date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
)
WORKDAYS_2026: tuple[tuple[date, str], ...] = (
    (date(2026, 1, 4), "元旦调休上班"),
    (date(2026, 2, 14), "春节调休上班"),
    (date(2026, 2, 28), "春节调休上班"),
    (date(2026, 5, 9), "劳动节调休上班"),
    (date(2026, 9, 20), "国庆节调休上班"),
    (date(2026, 10, 10), "国庆节调休上班"),
)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working-day arithmetic over a set of holidays and adjusted working weekends."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """True on Monday–Friday that is not a holiday, and on an adjusted working weekend day."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted; 0 → ``start``)."""
        if days < 0 or days > MAX_DAYS:
            raise InvalidCalendarDay(f"working days must be between 0 and {MAX_DAYS}", field="days")
        current = start
        left = days
        while left:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def load(*, session: Session, start: date, end: date) -> WorkingCalendar:
    """The calendar exceptions between ``start`` and ``end`` (inclusive)."""
    rows = (
        session.execute(select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end))
        .scalars()
        .all()
    )
    return WorkingCalendar(
        holidays=frozenset(r.day for r in rows if r.kind == "holiday"),
        workdays=frozenset(r.day for r in rows if r.kind == "workday"),
    )


def add_working_days(*, session: Session, start: date, days: int) -> date:
    """The date ``days`` working days after ``start``, using the stored holidays."""
    # Two calendar days per working day plus the longest holiday run is always enough.
    window = load(session=session, start=start, end=start + timedelta(days=2 * max(days, 0) + 30))
    return window.add_working_days(start, days)


def working_days_between(*, session: Session, start: date, end: date) -> int:
    """Working days in (start, end], using the stored holidays."""
    low, high = min(start, end), max(start, end)
    return load(session=session, start=low, end=high).working_days_between(start, end)


def list_days(*, session: Session, year: int | None = None) -> list[CalendarDay]:
    """Stored exceptions, by date (optionally one year)."""
    stmt = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        stmt = stmt.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(session.execute(stmt).scalars().all())


def set_day(*, session: Session, day: date, kind: str, name: str = "", actor: str = "system") -> CalendarDay:
    """Declare ``day`` a holiday or an adjusted working day (replacing an earlier entry); flushes."""
    if kind not in ("holiday", "workday"):
        raise InvalidCalendarDay("kind is 'holiday' or 'workday'", field="kind")
    if kind == "workday" and day.weekday() < 5:
        raise InvalidCalendarDay(
            f"{day} is a weekday: only a weekend day can be an adjusted working day", field="day"
        )
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day, kind=kind, name=name)
        session.add(row)
    else:
        row.kind, row.name = kind, name
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.calendar.set",
        object=f"calendar:{day}",
        details={"kind": kind, "name": name},
    )
    return row


def remove_day(*, session: Session, day: date, actor: str = "system") -> bool:
    """Drop the exception on ``day`` (it becomes an ordinary day again); True when one existed."""
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    worklog.append(session=session, actor=actor, action="wallet.calendar.remove", object=f"calendar:{day}")
    return True


def _days(first: date, last: date) -> Iterable[date]:
    current = first
    while current <= last:
        yield current
        current += timedelta(days=1)


def seed_2026(*, session: Session) -> int:
    """Store the 2026 public holidays and 调休 working days if missing; return how many were added."""
    existing = {r.day for r in list_days(session=session, year=2026)}
    added = 0
    for first, last, name in HOLIDAYS_2026:
        for day in _days(first, last):
            if day not in existing:
                session.add(CalendarDay(day=day, kind="holiday", name=name))
                added += 1
    for day, name in WORKDAYS_2026:
        if day not in existing:
            session.add(CalendarDay(day=day, kind="workday", name=name))
            added += 1
    if added:
        session.flush()
        worklog.append(
            session=session,
            actor="system",
            action="wallet.calendar.seed",
            object="calendar:2026",
            details={"added": added},
        )
    return added
