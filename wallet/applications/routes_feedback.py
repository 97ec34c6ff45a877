"""Ratings (好差评), complaints, service centres and appointments (预约办理)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from core.db import DbInt
from core.deps import SessionDep, SettingsDep
from core.inputs import Instant
from wallet.applications import access, appointments, feedback, views
from wallet.applications.applicant import from_caller
from wallet.applications.dependencies import NowDep
from wallet.applications.models import Application, Complaint
from wallet.applications.schemas import (
    AppointmentOut,
    BookIn,
    CentreIn,
    ComplaintHandleIn,
    ComplaintIn,
    ComplaintOut,
    RatingIn,
    RatingOut,
    SlotOut,
    SlotsIn,
)
from wallet.dependencies import DELEGATION_APPLY, AdminCaller, AdminStaffCaller, Applier
from wallet.errors import NotFound
from wallet.services import service as catalog

router = APIRouter(tags=["ratings, complaints, appointments"])


def _complaint_out(session: SessionDep, c: Complaint) -> ComplaintOut:
    serial = None
    if c.application_id is not None:
        app = session.get(Application, c.application_id)
        serial = app.serial if app else None
    return ComplaintOut(
        id=c.id,
        kind=c.kind,
        item=c.item.code,
        serial=serial,
        requirement=c.requirement_key,
        text=c.text,
        status=c.status,
        resolution=c.resolution,
        action=c.action,
        created_at=c.created_at,
        resolved_at=c.resolved_at,
    )


@router.post("/api/applications/{serial}/rating", response_model=RatingOut, status_code=201)
def rate(serial: str, body: RatingIn, session: SessionDep, caller: Applier, now: NowDep) -> RatingOut:
    """Rate a concluded application once, 1–5 with a comment; 1–2 opens a follow-up."""
    app = access.require_for_applicant(session=session, serial=serial, caller=caller, action=DELEGATION_APPLY)
    rating = feedback.rate(
        session=session, caller=caller, app=app, score=body.score, comment=body.comment, now=now
    )
    session.commit()
    return RatingOut(
        serial=app.serial,
        score=rating.score,
        comment=rating.comment,
        at=rating.at,
        follow_up=rating.score <= feedback.BAD_SCORE,
    )


@router.post("/api/complaints", response_model=ComplaintOut, status_code=201)
def file_complaint(
    body: ComplaintIn, session: SessionDep, caller: Applier, now: NowDep
) -> ComplaintOut:
    """Complain about a service, or name one requirement as an unnecessary proof (证明事项投诉)."""
    item = catalog.require_item(session=session, code=body.item, field="item")
    app = (
        access.require_for_applicant(session=session, serial=body.serial, caller=caller, action=DELEGATION_APPLY)
        if body.serial
        else None
    )
    row = feedback.file(
        session=session,
        caller=caller,
        item=item,
        text=body.text,
        kind=body.kind,
        app=app,
        requirement=body.requirement,
        now=now,
    )
    session.commit()
    return _complaint_out(session, row)


@router.get("/api/complaints", response_model=list[ComplaintOut])
def list_complaints(
    session: SessionDep, caller: Applier, status: str | None = None
) -> list[ComplaintOut]:
    """My complaints and their handling status (administrators see all)."""
    holders = None if caller.is_admin else caller.holder_indexes()
    return [
        _complaint_out(session, c)
        for c in feedback.list_complaints(session=session, holder_indexes=holders, status=status)
    ]


@router.post("/api/complaints/{complaint_id}", response_model=ComplaintOut)
def handle_complaint(
    complaint_id: DbInt, body: ComplaintHandleIn, session: SessionDep, caller: AdminStaffCaller, now: NowDep
) -> ComplaintOut:
    """Handle a complaint (admin); an upheld unnecessary proof is dropped or made a commitment."""
    row = feedback.get(session=session, complaint_id=complaint_id)
    feedback.handle(
        session=session,
        caller=caller,
        complaint=row,
        status=body.status,
        resolution=body.resolution,
        action=body.action,
        commitment_text=body.commitment_text,
        liability=body.liability,
        post_check=body.post_check,
        now=now,
    )
    session.commit()
    return _complaint_out(session, row)


@router.get("/api/centres")
def list_centres(session: SessionDep) -> list[dict[str, str]]:
    """Service centres; each accepts every item (同城通办)."""
    return [
        {"code": c.code, "name": c.name, "address": c.address}
        for c in appointments.list_centres(session=session)
    ]


@router.post("/api/centres", status_code=201)
def create_centre(body: CentreIn, session: SessionDep, caller: AdminCaller) -> dict[str, str]:
    """Add a service centre (admin)."""
    c = appointments.create_centre(
        session=session, code=body.code, name=body.name, address=body.address, actor=caller.actor
    )
    session.commit()
    return {"code": c.code, "name": c.name, "address": c.address}


def _centre(session: SessionDep, code: str) -> appointments.ServiceCentre:
    centre = appointments.get_centre(session=session, code=code)
    if centre is None:
        raise NotFound(f"no service centre {code!r}", field="code", code="centre_not_found")
    return centre


@router.post("/api/centres/{code}/slots", response_model=list[SlotOut], status_code=201)
def add_slots(code: str, body: SlotsIn, session: SessionDep, caller: AdminCaller) -> list[SlotOut]:
    """Open appointment slots at a centre (admin)."""
    centre = _centre(session, code)
    slots = appointments.add_slots(
        session=session, centre=centre, starts=body.starts, minutes=body.minutes, capacity=body.capacity
    )
    session.commit()
    return [
        SlotOut(
            id=s.id, centre=centre.code, starts_at=s.starts_at, ends_at=s.ends_at, free=s.capacity - s.booked
        )
        for s in slots
    ]


@router.get("/api/centres/{code}/slots", response_model=list[SlotOut])
def list_slots(
    code: str, session: SessionDep, now: NowDep, start: Instant | None = None, days: int = 14
) -> list[SlotOut]:
    """Slots of a centre with their free places."""
    centre = _centre(session, code)
    begin = start or now
    return [
        SlotOut(
            id=s.id, centre=centre.code, starts_at=s.starts_at, ends_at=s.ends_at, free=s.capacity - s.booked
        )
        for s in appointments.list_slots(
            session=session, centre=centre, start=begin, end=begin + timedelta(days=max(1, min(days, 60)))
        )
    ]


@router.post("/api/appointments", response_model=AppointmentOut, status_code=201)
def book(
    body: BookIn, session: SessionDep, settings: SettingsDep, caller: Applier, now: NowDep
) -> AppointmentOut:
    """Book a slot for an item at any centre (one live booking per item, a few bookings a day per person)."""
    item = catalog.require_item(session=session, code=body.item, field="item")
    applicant = from_caller(caller, item)
    booking = appointments.book(
        session=session,
        holder_index=applicant.index,
        actor=caller.actor,
        item=item,
        slot_id=body.slot_id,
        daily_limit=settings.appointment_daily_limit,
        now=now,
    )
    session.commit()
    return views.appointment_out(booking)


@router.delete("/api/appointments/{appointment_id}", response_model=AppointmentOut)
def cancel(appointment_id: DbInt, session: SessionDep, caller: Applier, now: NowDep) -> AppointmentOut:
    """Cancel my booking."""
    booking = appointments.get_booking(
        session=session, appointment_id=appointment_id, holder_indexes=caller.holder_indexes(DELEGATION_APPLY)
    )
    appointments.cancel(session=session, booking=booking, actor=caller.actor, now=now)
    session.commit()
    return views.appointment_out(booking)
