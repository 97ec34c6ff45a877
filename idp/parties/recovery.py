"""Password reset with a one-time code from counter staff, or with the person's TOTP."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from core.settings import Settings
from idp.errors import InvalidField, LoginFailed
from idp.parties import service as party_service
from idp.parties import throttle
from idp.parties.authenticate import keys_for
from idp.parties.models import Person, ResetCode
from idp.parties.passwords import check_strength, hash_password

RESET_CODE_TTL = timedelta(hours=24)
RESET_FAILURE = "证件号码或重置码不正确，或重置码已失效"


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def issue_code(*, session: Session, person: Person, staff_sub: str) -> str:
    """A one-time reset code (shown once to counter staff, who hand it over after checking identity)."""
    code = "-".join(secrets.token_hex(3).upper() for _ in range(3))
    session.add(
        ResetCode(
            person_id=person.id,
            code_hash=_hash(code),
            issued_by=f"person:{staff_sub}",
            expires_at=utcnow() + RESET_CODE_TTL,
        )
    )
    worklog.append(
        session=session,
        actor=f"person:{staff_sub}",
        action="password.reset_code",
        object=f"person:{person.sub}",
    )
    session.flush()
    return code


def reset_password(
    *,
    session: Session,
    settings: Settings,
    number: str,
    code: str,
    new_password: str,
    address: str | None = None,
    device: str | None = None,
) -> Person:
    """Set a new password if ``code`` is a live reset code or the current TOTP. Blocking (argon2).

    A wrong code is a failure of the account like a wrong password (same keys, same delays: ``throttle``),
    so the reset form is no way around them; raises ``throttle.LoginDelayed`` while the account must wait.
    The throttle state is committed; the new password is flushed for the caller to commit.
    """
    rule = check_strength(new_password)
    if rule:
        raise InvalidField("新密码不符合要求", field="password", rule=rule)
    number = number.strip().upper()
    person = party_service.get_by_number(session=session, settings=settings, number=number)
    keys = keys_for(settings=settings, number=number, person=person, address=address, device=device)
    try:
        reservation = throttle.reserve(session=session, settings=settings, keys=keys)
    except throttle.LoginDelayed:
        actor = f"person:{person.sub}" if person else "anonymous"
        worklog.append(session=session, actor=actor, action="password.reset_refused", object="idp:reset")
        session.commit()
        raise
    session.commit()  # visible to parallel attempts before the code is checked
    method = None
    if person is None:
        pass
    elif party_service.verify_totp(person, code, settings=settings):
        method = "totp"
    else:
        row = session.scalars(
            select(ResetCode).where(ResetCode.code_hash == _hash(code), ResetCode.person_id == person.id)
        ).first()
        if row is not None and row.used_at is None and row.expires_at > utcnow():
            claimed = session.execute(
                update(ResetCode)
                .where(ResetCode.id == row.id, ResetCode.used_at.is_(None))
                .values(used_at=utcnow())
                .returning(ResetCode.id)
            ).scalar_one_or_none()
            method = "reset_code" if claimed is not None else None
    if person is None or method is None:
        throttle.record_failure(session=session, settings=settings, reservation=reservation)
        if person is not None:
            worklog.append(
                session=session,
                actor="anonymous",
                action="password.reset_failure",
                object=f"person:{person.sub}",
            )
        session.commit()
        raise LoginFailed(RESET_FAILURE)
    throttle.release(session=session, reservation=reservation)
    person.password_hash = hash_password(new_password)
    person.failed_logins, person.locked_until = 0, None
    worklog.append(
        session=session,
        actor=f"person:{person.sub}",
        action="password.reset",
        object=f"person:{person.sub}",
        details={"method": method},
    )
    session.flush()
    return person
