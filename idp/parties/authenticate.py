"""Password (and TOTP) authentication with throttling, lockout and work-log entries."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.orm import Session

from idp.errors import AccountLocked, LoginFailed
from idp.parties import service as party_service
from idp.parties import throttle
from idp.parties.models import Person
from idp.parties.passwords import verify_password
from onenumber import worklog
from onenumber.db import utcnow
from onenumber.settings import Settings

GENERIC_FAILURE = "证件号码或密码错误"
LOCKED_MESSAGE = "尝试次数过多，账户已暂时锁定，请稍后再试"


def _keys(number: str, address: str | None, settings: Settings) -> list[str]:
    account = party_service.number_index(number, settings=settings)
    keys = [f"account:{account}"]
    if address:
        keys.append(f"address:{hashlib.sha256(address.encode()).hexdigest()[:32]}")
    return keys


def authenticate(
    *, session: Session, settings: Settings, number: str, password: str, address: str | None
) -> Person:
    """Check number and password; commits the throttle state. Blocking: call from a worker thread.

    Raises LoginFailed with one generic message (unknown number and wrong password look the same)
    or AccountLocked once the configured number of failures is reached.
    """
    number = number.strip().upper()
    keys = _keys(number, address, settings)
    slots = throttle.reserve(session=session, settings=settings, keys=keys)
    person = party_service.get_by_number(session=session, settings=settings, number=number)
    actor = f"person:{person.sub}" if person else "anonymous"
    if slots is None:
        worklog.append(session=session, actor=actor, action="login.refused_locked", object="idp:login")
        session.commit()
        raise AccountLocked(LOCKED_MESSAGE)
    session.commit()  # the reservation must be visible to parallel attempts before the slow check

    ok = verify_password(person.password_hash if person else None, password)
    if ok and person is not None:
        throttle.release(session=session, slots=slots)
        person.failed_logins, person.locked_until = 0, None
        worklog.append(session=session, actor=actor, action="login.password", object=f"person:{person.sub}")
        session.commit()
        return person
    locked = throttle.record_failure(session=session, settings=settings, slots=slots)
    if person is not None:
        person.failed_logins = slots[keys[0]]
    worklog.append(session=session, actor=actor, action="login.failure", object="idp:login")
    if locked:
        if person is not None:
            person.locked_until = utcnow() + timedelta(seconds=settings.lockout_seconds)
        worklog.append(session=session, actor=actor, action="login.lockout", object="idp:login")
    session.commit()
    raise LoginFailed(GENERIC_FAILURE)
