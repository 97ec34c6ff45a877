"""Password (and TOTP) authentication with progressive delays and work-log entries (see ``throttle``)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from core import worklog
from core.settings import Settings
from idp.errors import LoginFailed
from idp.parties import devices, throttle
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.parties.passwords import verify_password

GENERIC_FAILURE = "证件号码或密码错误"
LOCKED_MESSAGE = throttle.DELAYED_MESSAGE


def address_key(address: str | None) -> str | None:
    """The throttle key of a client address (hashed: the table is not a log of addresses)."""
    return f"address:{hashlib.sha256(address.encode()).hexdigest()[:32]}" if address else None


def keys_for(*, settings: Settings, number: str, person: Person | None, address: str | None, device: str | None) -> list[str]:
    """The throttle keys of an attempt on ``number``: the device's own key when the browser presents a
    valid device cookie of this account, else the account's; plus the address."""
    own = devices.throttle_key(device, settings=settings, sub=person.sub) if person is not None else None
    keys = [own or f"account:{party_service.number_index(number, settings=settings)}"]
    by_address = address_key(address)
    return keys + ([by_address] if by_address else [])


def authenticate(
    *,
    session: Session,
    settings: Settings,
    number: str,
    password: str,
    address: str | None,
    device: str | None = None,
) -> Person:
    """Check number and password; commits the throttle state. Blocking: call from a worker thread.

    Raises LoginFailed with one generic message (unknown number and wrong password look the same) or
    ``throttle.LoginDelayed`` (an AccountLocked) with the seconds to wait after too many recent failures.
    ``device`` is the browser's device cookie, if any.
    """
    number = number.strip().upper()
    person = party_service.get_by_number(session=session, settings=settings, number=number)
    actor = f"person:{person.sub}" if person else "anonymous"
    keys = keys_for(settings=settings, number=number, person=person, address=address, device=device)
    try:
        reservation = throttle.reserve(session=session, settings=settings, keys=keys)
    except throttle.LoginDelayed:
        worklog.append(session=session, actor=actor, action="login.refused_locked", object="idp:login")
        session.commit()
        raise
    session.commit()  # the reservation must be visible to parallel attempts before the slow check

    ok = verify_password(person.password_hash if person else None, password)
    if ok and person is not None:
        throttle.release(session=session, reservation=reservation)
        person.failed_logins, person.locked_until = 0, None
        worklog.append(session=session, actor=actor, action="login.password", object=f"person:{person.sub}")
        session.commit()
        return person
    wait = throttle.record_failure(session=session, settings=settings, reservation=reservation)
    if person is not None:
        person.failed_logins = reservation.slots[keys[0]]
    worklog.append(session=session, actor=actor, action="login.failure", object="idp:login")
    if wait and reservation.slots[keys[0]] == reservation.limits[keys[0]]:  # from now on it is slowed
        worklog.append(session=session, actor=actor, action="login.lockout", object="idp:login", details={"delay": wait})
    session.commit()
    raise LoginFailed(GENERIC_FAILURE)
