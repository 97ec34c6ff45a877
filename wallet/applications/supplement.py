"""补正 (supplement): a department asks once for everything still needed (一次性告知), the applicant answers
only what it listed, and the time spent waiting does not count against the department's deadline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from wallet.applications import forms, resolve
from wallet.applications.access import require_for_applicant
from wallet.applications.applicant import Applicant
from wallet.applications.exceptions import InvalidApplication, InvalidState, UnknownRequirement
from wallet.applications.models import Application, Review
from wallet.applications.records import event, record_materials, timeline
from wallet.dependencies import DELEGATION_APPLY, Caller
from wallet.services import calendar
from wallet.services import service as catalog


def check_items(app: Application, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of a supplement request as they will be stored: each names a requirement of the item
    or says what is needed, and there is at least one."""
    if not items:
        raise InvalidApplication(
            "a supplement request lists everything that is needed, at once",
            field="items",
            code="supplement_items_required",
        )
    clean = []
    for i, entry in enumerate(items):
        key = entry.get("requirement")
        note = str(entry.get("note") or "").strip()
        if key is not None and catalog.get_requirement(item=app.item, key=str(key)) is None:
            raise UnknownRequirement(
                f"{app.item.name} has no requirement {key!r}", field=f"items[{i}].requirement"
            )
        if key is None and not note:
            raise InvalidApplication(
                "each supplement entry names a requirement or says what is needed",
                field=f"items[{i}]",
                code="supplement_items_required",
            )
        clean.append({"requirement": key, "note": note})
    return clean


def pending_supplement(*, session: Session, app: Application) -> list[dict[str, Any]]:
    """What the departments asked for in their supplement request (empty when none is pending)."""
    if app.status != "supplement":
        return []
    task_ids = [t.id for t in app.tasks if t.status == "supplement"]
    rows = (
        session.execute(
            select(Review)
            .where(Review.task_id.in_(task_ids), Review.decision == "supplement")
            .order_by(Review.id)
        )
        .scalars()
        .all()
    )
    return [entry for r in rows for entry in r.items]


def supplement(
    *,
    session: Session,
    caller: Caller,
    serial: str,
    form: dict[str, dict[str, Any]] | None = None,
    commitments: Sequence[str] = (),
    selections: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Application:
    """The applicant answers the supplement request; only what it listed is asked for. Commits."""
    now = now or utcnow()
    app = require_for_applicant(session=session, serial=serial, caller=caller, action=DELEGATION_APPLY)
    if app.status != "supplement":
        raise InvalidState(
            f"application {app.serial} is {app.status}; no supplement is requested", field="serial"
        )
    prep = prepare(
        session=session,
        app=app,
        applicant=_applicant(app, caller),
        now=now,
        form=form,
        commitments=commitments,
        selections=selections,
    )
    keys = asked_keys(session=session, app=app)
    resolve.require_complete(prep)
    values = forms.validate_all(prep=prep, given=form or {})
    app.form_data = {**app.form_data, **values}
    record_materials(session=session, app=app, prep=prep, round=1, form_values=values, at=now)
    paused = _resume(session=session, app=app, now=now)
    event(session=session, app=app, action="supplemented", role=app.acting_role, at=now)
    worklog.append(
        session=session,
        actor=caller.actor,
        action="wallet.application.supplement",
        object=f"application:{app.serial}",
        details={"requirements": keys, "paused_days": paused},
    )
    session.commit()
    return app


def _applicant(app: Application, caller: Caller) -> Applicant:
    """The applicant as recorded on the application (the caller answers for them)."""
    return Applicant(
        index=app.applicant_index,
        kind=app.applicant_kind,
        name=app.applicant_name,
        submitter_sub=app.submitter_sub,
        submitter_index=app.submitter_index,
        person_name=caller.name or "",
        acting_role=app.acting_role,
    )


def _resume(*, session: Session, app: Application, now: datetime) -> int:
    """Back in review: the deadline moves on by the working days spent waiting (补正期间不计入), the
    tasks that asked are pending again. Returns the days paused."""
    requested_at = max(
        (e.at for e in timeline(session=session, app=app) if e.action == "supplement_requested"),
        default=now,
    )
    paused = calendar.working_days_between(
        session=session, start=calendar.local_date(requested_at), end=calendar.local_date(now)
    )
    if app.deadline is not None and paused > 0:
        # Time spent waiting for the applicant does not count against the department (补正期间不计入).
        app.deadline = calendar.add_working_days(session=session, start=app.deadline, days=paused)
    for task in app.tasks:
        if task.open:
            task.deadline = app.deadline or task.deadline
        if task.status == "supplement":
            task.status = "pending"
    app.status = "in_review"
    return paused


def asked_keys(*, session: Session, app: Application) -> list[str]:
    """The requirements the pending supplement request names (its free-text entries name none)."""
    return [str(e["requirement"]) for e in pending_supplement(session=session, app=app) if e.get("requirement")]


def prepare(
    *,
    session: Session,
    app: Application,
    applicant: Applicant,
    now: datetime,
    form: dict[str, dict[str, Any]] | None = None,
    commitments: Sequence[str] = (),
    selections: dict[str, Any] | None = None,
) -> resolve.Preparation:
    """Only the requirements the supplement request lists, resolved as :func:`supplement` checks them; the
    documents the application already used are not offered again."""
    used = frozenset(m.document_id for m in app.materials if m.document_id is not None)
    return resolve.prepare(
        session=session,
        item=app.item,
        applicant=applicant,
        now=now,
        form=form,
        commitments=commitments,
        selections=selections,
        only=asked_keys(session=session, app=app),
        exclude_documents=used,
    )
