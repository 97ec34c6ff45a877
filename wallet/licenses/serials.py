"""License serial numbers (the sequence part of a GB/T 36904 identifier), consumed only by a commit.

A serial is known before the license is sealed (it is printed in the sealed PDF), and sealing must not
hold the counter's lock, so the serial is *reserved* in a short transaction of its own. The issuance's
transaction deletes the reservation as it inserts the license; a failed issuance releases it at once, and
one killed halfway leaves it to go stale after :data:`STALE_AFTER`. The next issuance of the same type
takes a released or stale reservation before drawing a new number, so every number drawn ends up on a
committed license: the numbering has no gaps (a number may be issued out of order after a failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.clock import utcnow
from wallet.catalog.models import LicenseType
from wallet.errors import Conflict
from wallet.licenses.models import LicenseSerial, SerialReservation

# Longer than any issuance can take (sealing has its own time limits): a reservation older than this
# belongs to a process that died.
STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Reservation:
    """A serial held for one issuance until its transaction commits (or fails and releases it)."""

    id: int
    serial: str
    reserved_at: datetime


def _rows(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _format(year: int, number: int) -> str:
    return f"{year}{number:08d}"


def _reclaim(session: Session, license_type: LicenseType, now: datetime) -> Reservation | None:
    """Take over a released or stale reservation of this type (lowest serial first), or None."""
    for _ in range(5):  # another issuance may take the same candidate first: look again
        row = session.execute(
            select(SerialReservation.id, SerialReservation.serial, SerialReservation.reserved_at,
                   SerialReservation.released)
            .where(
                SerialReservation.type_id == license_type.id,
                SerialReservation.issuer_id == license_type.issuer_id,
                or_(SerialReservation.released.is_(True), SerialReservation.reserved_at < now - STALE_AFTER),
            )
            .order_by(SerialReservation.serial)
            .limit(1)
        ).first()
        if row is None:
            return None
        # Compare-and-set on the values just read: whoever changes the row first has it.
        taken = _rows(session.execute(
            update(SerialReservation)
            .where(
                SerialReservation.id == row.id,
                SerialReservation.reserved_at == row.reserved_at,
                SerialReservation.released.is_(row.released),
            )
            .values(reserved_at=now, released=False)
        ))
        if taken == 1:
            return Reservation(row.id, row.serial, now)
        session.rollback()
    return None


def _draw(session: Session, license_type: LicenseType, now: datetime, year: int) -> Reservation:
    counter = session.execute(
        select(LicenseSerial)
        .where(LicenseSerial.type_id == license_type.id, LicenseSerial.issuer_id == license_type.issuer_id)
        .with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = LicenseSerial(type_id=license_type.id, issuer_id=license_type.issuer_id, next_serial=1)
        session.add(counter)
    number = counter.next_serial
    counter.next_serial = number + 1
    row = SerialReservation(
        type_id=license_type.id, issuer_id=license_type.issuer_id, serial=_format(year, number),
        reserved_at=now, released=False,
    )
    session.add(row)
    session.flush()
    return Reservation(row.id, row.serial, now)


def reserve(*, session: Session, license_type: LicenseType, year: int, now: datetime | None = None) -> Reservation:
    """Reserve a serial in a transaction of its own (``session`` is only used for its connection's engine).

    Nothing the caller's session holds is committed here: the reservation must outlive a rollback of the
    issuance so that the release (or staleness) can hand the number on.
    """
    now = now or utcnow()
    for _ in range(3):
        with Session(bind=session.get_bind(), expire_on_commit=False) as own:
            try:
                got = _reclaim(own, license_type, now) or _draw(own, license_type, now, year)
                own.commit()
                return got
            except IntegrityError:  # two first issuances raced to create the counter: the winner's row
                own.rollback()
    raise Conflict("could not reserve a serial number; try again", field="type_code", code="serial_busy")


def consume(*, session: Session, reservation: Reservation) -> None:
    """In the issuance's transaction: the reservation is used up (refused if another issuance took it)."""
    gone = _rows(session.execute(
        delete(SerialReservation).where(
            SerialReservation.id == reservation.id,
            SerialReservation.reserved_at == reservation.reserved_at,
            SerialReservation.released.is_(False),
        )
    ))
    if gone != 1:
        raise Conflict(
            f"serial {reservation.serial} was handed to another issuance; nothing was issued, try again",
            field="type_code",
            code="serial_busy",
        )


def release(*, session: Session, reservation: Reservation) -> None:
    """After a failed issuance: give the serial back at once (best effort; staleness is the fallback)."""
    try:
        with Session(bind=session.get_bind()) as own:
            own.execute(
                update(SerialReservation)
                .where(SerialReservation.id == reservation.id,
                       SerialReservation.reserved_at == reservation.reserved_at)
                .values(released=True)
            )
            own.commit()
    except SQLAlchemyError:
        pass  # the database is away: the reservation goes stale and is taken again later
