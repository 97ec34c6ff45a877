"""A department's queue: open tasks, green channel first, then the nearest deadline; near-due and overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, contains_eager, lazyload

from wallet.applications.models import Application, ApplicationTask
from wallet.services import calendar

VIEWS = ("all", "near_due", "overdue")


@dataclass(frozen=True)
class QueueEntry:
    """One line of a department queue."""

    task: ApplicationTask
    days_left: int  # working days until the deadline; negative when overdue

    @property
    def overdue(self) -> bool:
        """Past its deadline and still open."""
        return self.days_left < 0


def list_queue(
    *,
    session: Session,
    department_code: str,
    now: datetime,
    view: str = "all",
    limit: int = 50,
    after: tuple[int, date, int] | None = None,
) -> list[QueueEntry]:
    """Open tasks of a department in priority order; ``after`` is the cursor (priority, deadline, id)."""
    today = calendar.local_date(now)
    stmt = (
        select(ApplicationTask)
        .join(ApplicationTask.application)
        .options(
            contains_eager(ApplicationTask.application).options(
                lazyload(Application.materials), lazyload(Application.tasks)
            )
        )
        .where(ApplicationTask.department_code == department_code, ApplicationTask.open.is_(True))
        .order_by(ApplicationTask.priority, ApplicationTask.deadline, ApplicationTask.id)
        .limit(limit)
    )
    if view == "overdue":
        stmt = stmt.where(ApplicationTask.deadline < today)
    elif view == "near_due":
        soon = calendar.add_working_days(session=session, start=today, days=1)
        stmt = stmt.where(ApplicationTask.deadline >= today, ApplicationTask.deadline <= soon)
    if after is not None:
        p, d, i = after
        stmt = stmt.where(
            or_(
                ApplicationTask.priority > p,
                and_(ApplicationTask.priority == p, ApplicationTask.deadline > d),
                and_(ApplicationTask.priority == p, ApplicationTask.deadline == d, ApplicationTask.id > i),
            )
        )
    tasks = session.execute(stmt).unique().scalars().all()
    if not tasks:
        return []
    cal = calendar.load(
        session=session,
        start=min(today, min(t.deadline for t in tasks)),
        end=max(today, max(t.deadline for t in tasks)),
    )
    return [QueueEntry(t, cal.working_days_between(today, t.deadline)) for t in tasks]
