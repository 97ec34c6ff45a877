"""预约办理: time slots per service centre, booking and cancelling; any centre accepts any item (同城通办).

Limits per person (issue 15): a holder has at most one live booking (not cancelled, slot not started) per
service item, and a person makes at most ``ONENUMBER_APPOINTMENT_DAILY_LIMIT`` bookings a calendar day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core import worklog
from core.clock import utcnow
from wallet.applications.applicant import acting_for
from wallet.applications.exceptions import (
    AppointmentAlreadyBooked,
    AppointmentDailyLimit,
    InvalidApplication,
    InvalidState,
    SlotUnavailable,
)
from wallet.applications.models import Application, Appointment, AppointmentSlot, ServiceCentre
from wallet.dependencies import DELEGATION_APPLY, Caller
from wallet.errors import Conflict, NotFound
from wallet.services.calendar import CHINA_TZ
from wallet.services.models import ServiceItem

DAILY_LIMIT = 3  # default of ONENUMBER_APPOINTMENT_DAILY_LIMIT
OFFER_DAYS = 14  # how far ahead an application's booking form offers slots


def get_centre(*, session: Session, code: str) -> ServiceCentre | None:
    """The centre with this code, or None."""
    return session.execute(select(ServiceCentre).where(ServiceCentre.code == code)).scalar_one_or_none()


def list_centres(*, session: Session) -> Sequence[ServiceCentre]:
    """Every service centre (each accepts every item)."""
    return session.execute(select(ServiceCentre).order_by(ServiceCentre.code)).scalars().all()


def create_centre(
    *, session: Session, code: str, name: str, address: str = "", actor: str = "system"
) -> ServiceCentre:
    """Add a service centre; flushes."""
    if get_centre(session=session, code=code) is not None:
        raise Conflict(f"service centre {code} already exists", field="code")
    centre = ServiceCentre(code=code, name=name, address=address)
    session.add(centre)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.centre.create",
        object=f"centre:{code}",
        details={"name": name},
    )
    return centre


def add_slots(
    *,
    session: Session,
    centre: ServiceCentre,
    starts: Sequence[datetime],
    minutes: int = 30,
    capacity: int = 1,
) -> list[AppointmentSlot]:
    """Open time slots at a centre (existing start times are kept); flushes."""
    if capacity < 1 or minutes < 5:
        raise InvalidApplication(
            "a slot lasts at least 5 minutes and has at least one place",
            field="capacity",
            code="invalid_slot",
        )
    existing = set(
        session.execute(select(AppointmentSlot.starts_at).where(AppointmentSlot.centre_id == centre.id))
        .scalars()
        .all()
    )
    slots = [
        AppointmentSlot(
            centre_id=centre.id,
            starts_at=s,
            ends_at=s + timedelta(minutes=minutes),
            capacity=capacity,
            booked=0,
        )
        for s in starts
        if s not in existing
    ]
    session.add_all(slots)
    session.flush()
    return slots


def list_slots(
    *, session: Session, centre: ServiceCentre, start: datetime, end: datetime
) -> Sequence[AppointmentSlot]:
    """Slots of a centre between two times, with free places."""
    return (
        session.execute(
            select(AppointmentSlot)
            .where(
                AppointmentSlot.centre_id == centre.id,
                AppointmentSlot.starts_at >= start,
                AppointmentSlot.starts_at < end,
            )
            .order_by(AppointmentSlot.starts_at)
        )
        .scalars()
        .all()
    )


def book(
    *,
    session: Session,
    holder_index: str,
    actor: str,
    item: ServiceItem,
    slot_id: int,
    daily_limit: int = DAILY_LIMIT,
    now: datetime | None = None,
) -> Appointment:
    """Book one place in a slot; flushes. Refused, changing nothing once the caller rolls back: a full or
    started slot, a second live booking of the holder for this item, more than ``daily_limit`` bookings by
    this person today. The place is taken first: on SQLite that statement starts the write transaction, so
    the checks after it see every booking committed before; on PostgreSQL concurrent bookings of one person
    or holder also wait for each other (an advisory lock until commit), and the conditional update never
    lets ``booked`` pass ``capacity``."""
    now = now or utcnow()
    slot = session.get(AppointmentSlot, slot_id)
    if slot is None:
        raise NotFound("no such slot", field="slot_id", code="slot_not_found")
    if slot.starts_at <= now:
        raise SlotUnavailable("this slot has already started", field="slot_id")
    _one_at_a_time(session, {holder_index, actor})
    taken = session.execute(
        update(AppointmentSlot)
        .where(AppointmentSlot.id == slot.id, AppointmentSlot.booked < AppointmentSlot.capacity)
        .values(booked=AppointmentSlot.booked + 1)
        .returning(AppointmentSlot.id)
    ).scalar_one_or_none()
    if taken is None:
        raise SlotUnavailable("this slot is full", field="slot_id")
    _check_limits(session, holder_index=holder_index, actor=actor, item=item, daily_limit=daily_limit, now=now)
    session.refresh(slot)
    booking = Appointment(
        slot_id=slot.id,
        item_id=item.id,
        holder_index=holder_index,
        booked_by=actor,
        status="booked",
        created_at=now,
    )
    session.add(booking)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.appointment.book",
        object=f"appointment:{booking.id}",
        details={"centre": slot.centre.code, "item": item.code, "starts_at": slot.starts_at.isoformat()},
    )
    return booking


def _one_at_a_time(session: Session, keys: set[str]) -> None:
    """On PostgreSQL, wait for other bookings of these holders/persons to commit (in a fixed order)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the slot update that follows takes the database's single write lock
    for key in sorted(keys):
        digest = hashlib.blake2b(f"appointment:{key}".encode(), digest_size=8).digest()
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest, "big", signed=True)}
        )


def _check_limits(
    session: Session, *, holder_index: str, actor: str, item: ServiceItem, daily_limit: int, now: datetime
) -> None:
    """The per-person rules of booking (issue 15): one live booking per item, ``daily_limit`` a day."""
    live = session.execute(
        select(AppointmentSlot.starts_at)
        .join(Appointment, Appointment.slot_id == AppointmentSlot.id)
        .where(
            Appointment.holder_index == holder_index,
            Appointment.item_id == item.id,
            Appointment.status == "booked",
            AppointmentSlot.starts_at > now,
        )
        .limit(1)
    ).scalar_one_or_none()
    if live is not None:
        when = live.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise AppointmentAlreadyBooked(
            f"one live appointment per service item: there is already one for {item.name} at {when}; "
            "cancel it before booking another",
            field="item",
        )
    if daily_limit <= 0:
        return
    day_start = datetime.combine(now.astimezone(CHINA_TZ).date(), time(0), tzinfo=CHINA_TZ)
    today = session.execute(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.booked_by == actor, Appointment.created_at >= day_start)
    ).scalar_one()
    if today >= daily_limit:
        raise AppointmentDailyLimit(
            f"at most {daily_limit} appointments a day per person (cancelled ones count): "
            f"{today} booked today; try again tomorrow",
            field="slot_id",
        )


def get_booking(*, session: Session, appointment_id: int, holder_indexes: frozenset[str]) -> Appointment:
    """A booking of one of these holders, or not found."""
    booking = session.get(Appointment, appointment_id)
    if booking is None or booking.holder_index not in holder_indexes:
        raise NotFound("no such appointment", field="appointment_id", code="appointment_not_found")
    return booking


def cancel(*, session: Session, booking: Appointment, actor: str, now: datetime | None = None) -> Appointment:
    """Cancel a booking and free its place; flushes."""
    if booking.status != "booked":
        raise InvalidState(f"this appointment is {booking.status}", field="appointment_id")
    at = now or utcnow()
    # Claimed atomically: two cancels of one booking at once free its place once, not twice.
    claimed = session.execute(
        update(Appointment)
        .where(Appointment.id == booking.id, Appointment.status == "booked")
        .values(status="cancelled", cancelled_at=at)
        .returning(Appointment.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed is None:
        session.refresh(booking)
        raise InvalidState(f"this appointment is {booking.status}", field="appointment_id")
    set_committed_value(booking, "status", "cancelled")
    set_committed_value(booking, "cancelled_at", at)
    session.execute(
        update(AppointmentSlot)
        .where(AppointmentSlot.id == booking.slot_id, AppointmentSlot.booked > 0)
        .values(booked=AppointmentSlot.booked - 1)
    )
    session.flush()
    worklog.append(
        session=session, actor=actor, action="wallet.appointment.cancel", object=f"appointment:{booking.id}"
    )
    return booking


def attach(*, session: Session, booking: Appointment, app: Application) -> None:
    """Show the booking on the application (the holder and item must match); flushes."""
    if booking.status != "booked":
        raise InvalidState(f"this appointment is {booking.status}", field="appointment_id")
    if booking.holder_index != app.applicant_index or booking.item_id != app.item_id:
        raise InvalidApplication(
            "this appointment is for another holder or item",
            field="appointment_id",
            code="appointment_mismatch",
        )
    booking.application_id = app.id
    session.flush()


def for_application(*, session: Session, app: Application) -> Appointment | None:
    """The live booking shown on an application, if any."""
    return (
        session.execute(
            select(Appointment)
            .where(Appointment.application_id == app.id, Appointment.status != "cancelled")
            .order_by(Appointment.id.desc())
        )
        .scalars()
        .first()
    )


def open_slots(
    *, session: Session, centre: ServiceCentre, now: datetime | None = None, days: int = OFFER_DAYS
) -> list[AppointmentSlot]:
    """The slots of a centre in the next ``days`` days that still have a free place."""
    start = now or utcnow()
    slots = list_slots(session=session, centre=centre, start=start, end=start + timedelta(days=days))
    return [s for s in slots if s.booked < s.capacity]


def book_for_application(
    *, session: Session, caller: Caller, app: Application, slot_id: int, daily_limit: int = DAILY_LIMIT
) -> Appointment:
    """预约办理 for an application whose item needs a counter visit, by its own applicant, shown on it at
    once; flushes (refused as :func:`book` and :func:`attach` refuse)."""
    if not app.item.needs_visit:
        raise NotFound("this item needs no counter visit", field="serial", code="no_visit_needed")
    booking = book(
        session=session,
        holder_index=acting_for(caller, app).index,
        actor=caller.actor,
        item=app.item,
        slot_id=slot_id,
        daily_limit=daily_limit,
    )
    attach(session=session, booking=booking, app=app)
    return booking


def cancel_for_application(*, session: Session, caller: Caller, app: Application) -> Appointment:
    """Cancel the booking shown on an application (one of the caller's holders'); its place is freed."""
    shown = for_application(session=session, app=app)
    if shown is None:
        raise NotFound("this application has no appointment", field="serial", code="appointment_not_found")
    booking = get_booking(session=session, appointment_id=shown.id, holder_indexes=caller.holder_indexes(DELEGATION_APPLY))
    return cancel(session=session, booking=booking, actor=caller.actor)
