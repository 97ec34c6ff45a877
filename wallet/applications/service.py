"""Applications: submit with one number, accept (online or at a counter), route, follow progress."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import worklog
from core.crypto import decrypt_str, encrypt_str
from core.db import utcnow
from core.settings import Settings
from identifiers import ric, uscc
from wallet.applications import appointments, forms, resolve
from wallet.applications.applicant import Applicant, check_own_number
from wallet.applications.exceptions import (
    ApplicationNotFound,
    IdempotencyKeyReused,
    InvalidApplication,
    InvalidState,
    MaterialsMissing,
    NotStaff,
)
from wallet.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationTask,
    SerialCounter,
)
from wallet.dependencies import Caller
from wallet.services import calendar
from wallet.services.models import ServiceItem

GREEN_CHANNEL_REASONS = ("elderly", "disabled", "pregnant")
QUERY_CODE_CONTEXT = "application.query_code"
NUMBER_CONTEXT = "application.applicant_number"


@dataclass(frozen=True)
class Submission:
    """Result of :func:`submit`: the application, whether this call created it, and its query code."""

    application: Application
    created: bool
    query_code: str


def _request_hash(**parts: Any) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def query_code(app: Application, *, settings: Settings) -> str:
    """The query code given to the applicant with the serial number."""
    return decrypt_str(app.query_code_cipher, master_key=settings.secret_key, context=QUERY_CODE_CONTEXT)


def applicant_number(app: Application, *, settings: Settings) -> str | None:
    """The applicant's clear number, when it is known (needed to issue a license)."""
    if not app.applicant_number_cipher:
        return None
    return decrypt_str(app.applicant_number_cipher, master_key=settings.secret_key, context=NUMBER_CONTEXT)


def _mask(applicant: Applicant) -> str:
    if not applicant.number:
        return ""
    return str(ric.mask(applicant.number) if applicant.kind == "person" else uscc.mask(applicant.number))


def next_serial(*, session: Session, department_code: str, now: datetime) -> str:
    """The next serial number (流水号): YYYYMMDD + the department code's last six characters + a sequence."""
    day = calendar.local_date(now).strftime("%Y%m%d")
    scope = f"{day}{department_code}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SerialCounter).values(scope=scope, value=0).on_conflict_do_nothing())
    value = session.execute(
        update(SerialCounter)
        .where(SerialCounter.scope == scope)
        .values(value=SerialCounter.value + 1)
        .returning(SerialCounter.value)
    ).scalar_one()
    return f"{day}{department_code[-6:]}{value:06d}"


def event(
    *,
    session: Session,
    app: Application,
    action: str,
    role: str,
    at: datetime,
    department_code: str | None = None,
    note: str = "",
) -> None:
    """Add a step to the application's timeline (roles and departments only, never names)."""
    session.add(
        ApplicationEvent(
            application_id=app.id,
            action=action,
            role=role,
            at=at,
            department_code=department_code,
            note=note[:2000],
        )
    )


def _existing(session: Session, submitter_sub: str, key: str) -> Application | None:
    return session.execute(
        select(Application).where(
            Application.submitter_sub == submitter_sub, Application.idempotency_key == key
        )
    ).scalar_one_or_none()


def _replay(
    session: Session, submitter_sub: str, key: str, req_hash: str, settings: Settings
) -> Submission | None:
    app = _existing(session, submitter_sub, key)
    if app is None:
        return None
    if app.request_hash != req_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different application", field="Idempotency-Key"
        )
    return Submission(app, False, query_code(app, settings=settings))


def record_materials(
    *,
    session: Session,
    app: Application,
    prep: resolve.Preparation,
    round: int,
    form_values: dict[str, dict[str, Any]],
    at: datetime,
) -> None:
    """Record how each requirement was fulfilled (source, trust, reuse) for this application."""
    for res in prep.requirements:
        details: dict[str, Any] = {}
        if res.kind == "form":
            details["values"] = form_values.get(res.key, {})
        if res.kind == "commitment":
            details = {
                "commitment_text": res.details.get("commitment_text"),
                "replaces_proof": res.details.get("replaces_proof"),
            }
        session.add(
            ApplicationMaterial(
                application_id=app.id,
                requirement_key=res.key,
                round=round,
                kind=res.kind,
                source=res.source or "",
                trust=res.trust or "",
                reused=res.reused,
                license_identifier=res.license_identifier,
                document_id=res.document_id,
                details=details,
                at=at,
            )
        )


def submit(
    *,
    session: Session,
    settings: Settings,
    item: ServiceItem,
    applicant: Applicant,
    form: dict[str, dict[str, Any]] | None = None,
    commitments: Sequence[str] = (),
    selections: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    green_channel: str | None = None,
    holder_number: str | None = None,
    channel: str = "online",
    centre_code: str | None = None,
    clerk: Caller | None = None,
    appointment_id: int | None = None,
    now: datetime | None = None,
) -> Submission:
    """Submit an application; everything missing is reported at once; the same key gives the same one."""
    now = now or utcnow()
    form, selections = form or {}, selections or {}
    req_hash = _request_hash(
        item=item.code,
        applicant=applicant.index,
        form=form,
        commitments=sorted(commitments),
        selections=selections,
        green=green_channel,
        channel=channel,
    )
    if idempotency_key:
        done = _replay(session, applicant.submitter_sub, idempotency_key, req_hash, settings)
        if done is not None:
            return done
    if channel not in item.channels:
        raise InvalidApplication(
            f"{item.name} cannot be applied for through the {channel} channel",
            field="channel",
            code="channel_not_offered",
        )
    if green_channel is not None:
        if green_channel not in GREEN_CHANNEL_REASONS:
            raise InvalidApplication(
                f"green channel is one of {GREEN_CHANNEL_REASONS}",
                field="green_channel",
                code="invalid_green_channel",
            )
        if applicant.is_agent:
            raise InvalidApplication(
                "an agent's application gets no priority (no green channel for agents)",
                field="green_channel",
                code="no_priority_for_agents",
            )
    prep = resolve.prepare(
        session=session,
        item=item,
        applicant=applicant,
        now=now,
        form=form,
        commitments=commitments,
        selections=selections,
    )
    if prep.missing:
        raise MaterialsMissing(
            [
                {"key": r.key, "name": r.name, "action": r.action or "", "reason": r.reason or ""}
                for r in prep.missing
            ]
        )
    form_values = forms.validate_all(prep=prep, given=form)
    if item.issues_license_type and applicant.number is None:
        if not holder_number:
            raise InvalidApplication(
                f"{item.name} issues a license: give your ID number so it can be issued to you",
                field="holder_number",
                code="holder_number_required",
            )
        applicant = check_own_number(applicant, holder_number, settings=settings)
    code = "".join(secrets.choice("0123456789") for _ in range(8))
    app = Application(
        serial=next_serial(session=session, department_code=item.lead_department, now=now),
        query_code_cipher=encrypt_str(code, master_key=settings.secret_key, context=QUERY_CODE_CONTEXT),
        item=item,
        item_version=item.version,
        applicant_index=applicant.index,
        applicant_kind=applicant.kind,
        applicant_name=applicant.name,
        applicant_number_masked=_mask(applicant),
        applicant_number_cipher=encrypt_str(
            applicant.number, master_key=settings.secret_key, context=NUMBER_CONTEXT
        )
        if applicant.number
        else None,
        submitter_sub=applicant.submitter_sub,
        submitter_index=applicant.submitter_index,
        acting_role=applicant.acting_role,
        channel=channel,
        centre_code=centre_code,
        green_channel=green_channel,
        status="submitted",
        form_data=form_values,
        idempotency_key=idempotency_key,
        request_hash=req_hash if idempotency_key else None,
        submitted_at=now,
        counter_visit=channel == "counter",
    )
    session.add(app)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        if idempotency_key:  # a concurrent submission with the same key won
            done = _replay(session, applicant.submitter_sub, idempotency_key, req_hash, settings)
            if done is not None:
                return done
        raise
    record_materials(session=session, app=app, prep=prep, round=0, form_values=form_values, at=now)
    if appointment_id is not None:
        booking = appointments.get_booking(
            session=session, appointment_id=appointment_id, holder_indexes=frozenset({applicant.index})
        )
        appointments.attach(session=session, booking=booking, app=app)
    actor = clerk.actor if clerk else f"person:{applicant.submitter_sub}"
    event(
        session=session,
        app=app,
        action="submitted",
        role="counter" if clerk else applicant.acting_role,
        at=now,
    )
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.application.submit",
        object=f"application:{app.serial}",
        details={
            "item": item.code,
            "channel": channel,
            "acting_role": applicant.acting_role,
            "reused": sum(1 for r in prep.requirements if r.reused),
            "commitments": sum(1 for r in prep.requirements if r.kind == "commitment"),
        },
    )
    if clerk is not None:
        accept(session=session, app=app, actor=clerk.actor, role="counter", now=now, centre_code=centre_code)
    elif not item.needs_visit:
        accept(session=session, app=app, actor="system", role="system", now=now)
    session.flush()
    return Submission(app, True, code)


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


def get_by_serial(*, session: Session, serial: str) -> Application | None:
    """The application with this serial number, or None."""
    return session.execute(
        select(Application).where(Application.serial == serial.strip())
    ).scalar_one_or_none()


def require_for_applicant(*, session: Session, serial: str, caller: Caller) -> Application:
    """The application if the caller applied for it or is (or acts for) the applicant; else not found."""
    app = get_by_serial(session=session, serial=serial)
    if app is None or not (app.applicant_index in caller.holder_indexes() or app.submitter_sub == caller.sub):
        raise ApplicationNotFound()
    return app


def require_for_counter(*, session: Session, serial: str, caller: Caller) -> Application:
    """The application for a counter clerk of any service centre (同城通办)."""
    if not caller.is_person or "counter" not in caller.roles:
        raise NotStaff("this needs the counter role")
    app = get_by_serial(session=session, serial=serial)
    if app is None:
        raise ApplicationNotFound()
    return app


def require_visible(*, session: Session, serial: str, caller: Caller) -> Application:
    """The application for its applicant, the departments it is routed to, or any counter clerk."""
    app = get_by_serial(session=session, serial=serial)
    if app is not None and caller.is_person:
        staff = caller.staff_departments("clerk", "approver")
        if "counter" in caller.roles or any(t.department_code in staff for t in app.tasks):
            return app
    return require_for_applicant(session=session, serial=serial, caller=caller)


def list_mine(*, session: Session, caller: Caller, limit: int = 100) -> Sequence[Application]:
    """Applications made by the caller or for a holder they are (or act for), newest first."""
    stmt = select(Application).where(
        or_(
            Application.applicant_index.in_(sorted(caller.holder_indexes())),
            Application.submitter_sub == caller.sub,
        )
    )
    return session.execute(stmt.order_by(Application.id.desc()).limit(limit)).scalars().all()


def timeline(*, session: Session, app: Application) -> Sequence[ApplicationEvent]:
    """The application's steps, oldest first."""
    return (
        session.execute(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == app.id)
            .order_by(ApplicationEvent.id)
        )
        .scalars()
        .all()
    )


def public_status(*, session: Session, settings: Settings, serial: str, code: str) -> dict[str, Any]:
    """Status by serial number and query code, with no personal data (wrong code = not found)."""
    app = get_by_serial(session=session, serial=serial)
    if app is None or not secrets.compare_digest(query_code(app, settings=settings), code.strip()):
        raise ApplicationNotFound("no application with this serial number and query code", field="code")
    return {
        "serial": app.serial,
        "item": app.item.name,
        "item_code": app.item.code,
        "status": app.status,
        "submitted_on": calendar.local_date(app.submitted_at),
        "deadline": app.deadline,
        "concluded_on": calendar.local_date(app.concluded_at) if app.concluded_at else None,
        "timeline": [
            {"at": e.at, "action": e.action, "department": e.department_code}
            for e in timeline(session=session, app=app)
        ],
    }
