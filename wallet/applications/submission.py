"""一号申请: submit an application with one number. Everything still missing is told at once (一次性告知);
the same Idempotency-Key gives the same application; an item that needs no visit is accepted at once."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import identifiers
from core import worklog
from core.clock import utcnow
from core.crypto import encrypt_str
from core.settings import Settings
from wallet.applications import appointments, forms, resolve
from wallet.applications.acceptance import accept
from wallet.applications.applicant import Applicant, check_own_number
from wallet.applications.exceptions import IdempotencyKeyReused, InvalidApplication
from wallet.applications.models import Application
from wallet.applications.records import NUMBER_CONTEXT, QUERY_CODE_CONTEXT, event, next_serial, query_code, record_materials
from wallet.dependencies import Caller
from wallet.services.models import ServiceItem

GREEN_CHANNEL_REASONS = ("elderly", "disabled", "pregnant")


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


def _mask(applicant: Applicant) -> str:
    if not applicant.number:
        return ""
    return identifiers.mask(applicant.number, applicant.kind)


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
    idempotency_key = idempotency_key or None  # "" is no key (stored, it would defeat the replay check)
    form, selections = form or {}, selections or {}
    req_hash = _submission_hash(
        item=item, applicant=applicant, form=form, commitments=commitments, selections=selections,
        green_channel=green_channel, channel=channel,
    )
    if idempotency_key:
        done = _replay(session, applicant.submitter_sub, idempotency_key, req_hash, settings)
        if done is not None:
            return done
    _check_channel(item=item, applicant=applicant, channel=channel, green_channel=green_channel)
    prep, form_values = _materials(
        session=session, item=item, applicant=applicant, form=form, commitments=commitments,
        selections=selections, now=now,
    )
    applicant = _with_number(item=item, applicant=applicant, holder_number=holder_number, settings=settings)
    code = "".join(secrets.choice("0123456789") for _ in range(8))
    app = _new_application(
        session=session, settings=settings, item=item, applicant=applicant, code=code, form_values=form_values,
        channel=channel, centre_code=centre_code, green_channel=green_channel, idempotency_key=idempotency_key,
        req_hash=req_hash, now=now,
    )
    done = _insert(
        session=session, settings=settings, app=app, applicant=applicant, key=idempotency_key, req_hash=req_hash
    )
    if done is not None:
        return done
    record_materials(session=session, app=app, prep=prep, round=0, form_values=form_values, at=now)
    _attach_appointment(session=session, app=app, applicant=applicant, appointment_id=appointment_id)
    _log_submitted(session=session, app=app, prep=prep, applicant=applicant, clerk=clerk, now=now)
    _accept_if_ready(session=session, app=app, item=item, clerk=clerk, centre_code=centre_code, now=now)
    session.flush()
    return Submission(app, True, code)


def _submission_hash(
    *,
    item: ServiceItem,
    applicant: Applicant,
    form: dict[str, dict[str, Any]],
    commitments: Sequence[str],
    selections: dict[str, Any],
    green_channel: str | None,
    channel: str,
) -> str:
    """What the Idempotency-Key stands for: the same key with another request is refused."""
    return _request_hash(
        item=item.code,
        applicant=applicant.index,
        form=form,
        commitments=sorted(commitments),
        selections=selections,
        green=green_channel,
        channel=channel,
    )


def _attach_appointment(
    *, session: Session, app: Application, applicant: Applicant, appointment_id: int | None
) -> None:
    """The applicant's booked appointment, when one was named, now belongs to this application."""
    if appointment_id is None:
        return
    booking = appointments.get_booking(
        session=session, appointment_id=appointment_id, holder_indexes=frozenset({applicant.index})
    )
    appointments.attach(session=session, booking=booking, app=app)


def _accept_if_ready(
    *,
    session: Session,
    app: Application,
    item: ServiceItem,
    clerk: Caller | None,
    centre_code: str | None,
    now: datetime,
) -> None:
    """Accepted (受理) at once: by the clerk at a counter, or by the system when the item needs no visit."""
    if clerk is not None:
        accept(session=session, app=app, actor=clerk.actor, role="counter", now=now, centre_code=centre_code)
    elif not item.needs_visit:
        accept(session=session, app=app, actor="system", role="system", now=now)


def _materials(
    *,
    session: Session,
    item: ServiceItem,
    applicant: Applicant,
    form: dict[str, dict[str, Any]],
    commitments: Sequence[str],
    selections: dict[str, Any],
    now: datetime,
) -> tuple[resolve.Preparation, dict[str, dict[str, Any]]]:
    """Every requirement resolved — all that is missing told at once (一次性告知) — and the form values."""
    prep = resolve.prepare(
        session=session,
        item=item,
        applicant=applicant,
        now=now,
        form=form,
        commitments=commitments,
        selections=selections,
    )
    resolve.require_complete(prep)
    return prep, forms.validate_all(prep=prep, given=form)


def _check_channel(*, item: ServiceItem, applicant: Applicant, channel: str, green_channel: str | None) -> None:
    """The item is offered through this channel; a green channel names a reason and is not for agents."""
    if channel not in item.channels:
        raise InvalidApplication(
            f"{item.name} cannot be applied for through the {channel} channel",
            field="channel",
            code="channel_not_offered",
        )
    if green_channel is None:
        return
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


def _with_number(
    *, item: ServiceItem, applicant: Applicant, holder_number: str | None, settings: Settings
) -> Applicant:
    """The applicant, with their clear number checked to be theirs when the item issues a license."""
    if not item.issues_license_type or applicant.number is not None:
        return applicant
    if not holder_number:
        raise InvalidApplication(
            f"{item.name} issues a license: give your ID number so it can be issued to you",
            field="holder_number",
            code="holder_number_required",
        )
    return check_own_number(applicant, holder_number, settings=settings)


def _new_application(
    *,
    session: Session,
    settings: Settings,
    item: ServiceItem,
    applicant: Applicant,
    code: str,
    form_values: dict[str, dict[str, Any]],
    channel: str,
    centre_code: str | None,
    green_channel: str | None,
    idempotency_key: str | None,
    req_hash: str,
    now: datetime,
) -> Application:
    """The new application row with its serial number; its query code and clear number encrypted."""
    number_cipher = (
        encrypt_str(applicant.number, master_key=settings.secret_key, context=NUMBER_CONTEXT)
        if applicant.number
        else None
    )
    return Application(
        serial=next_serial(session=session, department_code=item.lead_department, now=now),
        query_code_cipher=encrypt_str(code, master_key=settings.secret_key, context=QUERY_CODE_CONTEXT),
        item=item,
        item_version=item.version,
        applicant_index=applicant.index,
        applicant_kind=applicant.kind,
        applicant_name=applicant.name,
        applicant_number_masked=_mask(applicant),
        applicant_number_cipher=number_cipher,
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


def _insert(
    *, session: Session, settings: Settings, app: Application, applicant: Applicant, key: str | None, req_hash: str
) -> Submission | None:
    """Flush the new application; None when it is in, the winner when a concurrent same-key one won."""
    session.add(app)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        if key:  # a concurrent submission with the same key won
            done = _replay(session, applicant.submitter_sub, key, req_hash, settings)
            if done is not None:
                return done
        raise
    return None


def _log_submitted(
    *,
    session: Session,
    app: Application,
    prep: resolve.Preparation,
    applicant: Applicant,
    clerk: Caller | None,
    now: datetime,
) -> None:
    """The ``submitted`` step of the timeline and its work-log entry."""
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
            "item": app.item.code,
            "channel": app.channel,
            "acting_role": applicant.acting_role,
            "reused": sum(1 for r in prep.requirements if r.reused),
            "commitments": sum(1 for r in prep.requirements if r.kind == "commitment"),
        },
    )
