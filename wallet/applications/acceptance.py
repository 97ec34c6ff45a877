"""受理 (acceptance) and 内部流转 (routing): the deadline is fixed in working days and every responsible
department gets its task."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core import worklog
from wallet.applications.exceptions import InvalidState
from wallet.applications.models import Application, ApplicationTask
from wallet.applications.records import event
from wallet.services import calendar


def accept(
    *,
    session: Session,
    app: Application,
    actor: str,
    role: str,
    now: datetime,
    centre_code: str | None = None,
) -> Application:
    """受理 and 内部流转: fix the deadline in working days and route to every responsible department."""
    if app.status != "submitted":
        raise InvalidState(
            f"application {app.serial} is {app.status}, not waiting for acceptance", field="serial"
        )
    item = app.item
    today = calendar.local_date(now)
    deadline = calendar.add_working_days(session=session, start=today, days=item.time_limit_days)
    app.status, app.accepted_at, app.accepted_by, app.deadline = "in_review", now, actor, deadline
    if role == "counter":
        app.counter_visit = True
        app.centre_code = centre_code or app.centre_code
    priority = 0 if app.green_channel and app.acting_role != "agent" else 1
    for code in item.department_codes:
        session.add(
            ApplicationTask(
                application=app,
                department_code=code,
                status="pending",
                open=True,
                priority=priority,
                deadline=deadline,
                routed_at=now,
            )
        )
    event(
        session=session,
        app=app,
        action="accepted",
        role=role,
        at=now,
        note=f"deadline {deadline.isoformat()}",
    )
    for code in item.department_codes:
        event(session=session, app=app, action="routed", role="system", at=now, department_code=code)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.application.accept",
        object=f"application:{app.serial}",
        details={
            "role": role,
            "deadline": deadline.isoformat(),
            "departments": [c for c in item.department_codes],
            "centre": app.centre_code,
        },
    )
    return app
