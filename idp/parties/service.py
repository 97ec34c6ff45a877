"""Persons, organisations, delegations and staff roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.crypto import decrypt_str, encrypt_str, holder_index
from core.inputs import ascii_digits
from core.settings import Settings
from identifiers import IdentifierError, Kind, validate_as
from identifiers import mask as mask_identifier
from idp.errors import InvalidField, NotFound
from idp.parties.models import Delegation, Organization, Person, StaffRole

ASSURANCE_LEVELS = ("low", "substantial", "high")
DELEGATION_ROLES = ("legal_representative", "agent")


def validate_number(number: str, *, field: str = "number") -> str:
    """The normalised resident ID, or InvalidField naming the broken rule."""
    try:
        return validate_as(Kind.PERSON, number)
    except IdentifierError as exc:
        raise InvalidField(f"证件号码无效：{exc.detail}", field=field, rule=exc.rule) from None


def validate_credit_code(code: str, *, field: str = "credit_code") -> str:
    """The normalised credit code, or InvalidField naming the broken rule."""
    try:
        return validate_as(Kind.ORGANIZATION, code)
    except IdentifierError as exc:
        raise InvalidField(f"统一社会信用代码无效：{exc.detail}", field=field, rule=exc.rule) from None


def mask_number(number: str) -> str:
    """The resident ID masked for display (``1101**********002X``)."""
    return mask_identifier(number, Kind.PERSON)


def number_index(number: str, *, settings: Settings) -> str:
    """The blind index of a person's resident ID (shared with wallet as ``hid``)."""
    return holder_index(Kind.PERSON, number, master_key=settings.secret_key)


def get_by_number(*, session: Session, settings: Settings, number: str) -> Person | None:
    """The person with this resident ID, or None."""
    return session.scalars(
        select(Person).where(Person.number_index == number_index(number, settings=settings))
    ).first()


def get_by_sub(*, session: Session, sub: str) -> Person | None:
    """The person with this subject identifier, or None."""
    return session.scalars(select(Person).where(Person.sub == sub)).first()


def number_of(person: Person, *, settings: Settings) -> str:
    """The clear resident ID of ``person`` (only for the holder or a consented client)."""
    return decrypt_str(person.number_cipher, master_key=settings.secret_key, context="person.number")


def create(
    *,
    session: Session,
    settings: Settings,
    number: str,
    name: str,
    password_hash: str,
    phone: str | None = None,
    assurance: str = "low",
) -> Person:
    """Create a person; the number must be valid and not registered yet."""
    number = validate_number(number)
    name = name.strip()
    if not 1 <= len(name) <= 50:
        raise InvalidField("请填写姓名（1 到 50 个字）", field="name", rule="length")
    if phone is not None and phone and not (ascii_digits(phone) and 6 <= len(phone) <= 15):
        raise InvalidField("手机号码应为 6 到 15 位数字", field="phone", rule="format")
    if assurance not in ASSURANCE_LEVELS:
        raise InvalidField("unknown assurance level", field="assurance", rule="choice")
    if get_by_number(session=session, settings=settings, number=number) is not None:
        raise InvalidField("该证件号码已注册，请直接登录或找回密码", field="number", rule="registered")
    person = Person(
        sub=secrets.token_urlsafe(16),
        number_cipher=encrypt_str(number, master_key=settings.secret_key, context="person.number"),
        number_index=number_index(number, settings=settings),
        name=name,
        phone=phone or None,
        password_hash=password_hash,
        assurance=assurance,
    )
    session.add(person)
    session.flush()
    return person


def set_totp(*, session: Session, settings: Settings, person: Person, secret: str | None = None) -> str:
    """Enrol a TOTP secret (new random one unless given); an authentication factor, not identity proofing:
    the person's assurance level stays what proofing made it."""
    secret = secret or pyotp.random_base32()
    person.totp_cipher = encrypt_str(secret, master_key=settings.secret_key, context="person.totp")
    session.flush()
    return secret


def verify_totp(person: Person, code: str, *, settings: Settings) -> bool:
    """True when ``code`` is the person's current TOTP (±1 step)."""
    if not person.totp_cipher:
        return False
    secret = decrypt_str(person.totp_cipher, master_key=settings.secret_key, context="person.totp")
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


def raise_assurance(*, session: Session, person: Person, level: str, by: str | None = None) -> Person:
    """Set the identity-proofing level (``high`` after an in-person check at the counter, ``substantial``
    after a provider's real-name check); ``by`` records who proofed (``provider:<host>``, ``counter``)."""
    if level not in ASSURANCE_LEVELS:
        raise InvalidField("unknown assurance level", field="level", rule="choice")
    person.assurance = level
    if level != "low":
        person.proofed_at = utcnow()
        person.proofed_by = (by or "counter")[:100]
    session.flush()
    return person


# Built once: every token for a person asks for their roles, and building a statement costs more than
# running it (two plain columns, no ORM instances).
_ROLES = select(StaffRole.role, StaffRole.department_code).where(StaffRole.person_id == bindparam("person_id"))


def roles_of(*, session: Session, person: Person) -> list[str]:
    """Staff roles as token values: ``counter``, ``admin``, ``clerk:<dept>``, ``approver:<dept>``."""
    rows = session.execute(_ROLES, {"person_id": person.id}).all()
    return sorted(f"{role}:{dept}" if dept else role for role, dept in rows)


def grant_role(
    *, session: Session, person: Person, role: str, department_code: str | None = None
) -> StaffRole:
    """Give ``person`` a staff role (idempotent)."""
    row = session.scalars(
        select(StaffRole).where(
            StaffRole.person_id == person.id,
            StaffRole.role == role,
            StaffRole.department_code == department_code,
        )
    ).first()
    if row is None:
        row = StaffRole(person_id=person.id, role=role, department_code=department_code)
        session.add(row)
        session.flush()
    return row


def get_organization(*, session: Session, credit_code: str) -> Organization | None:
    """The organisation with this credit code, or None."""
    return session.scalars(
        select(Organization).where(Organization.credit_code == credit_code.upper())
    ).first()


def create_organization(*, session: Session, credit_code: str, name: str, legal_rep: Person) -> Organization:
    """Register an organisation with its legal representative (who gets a delegation)."""
    code = validate_credit_code(credit_code)
    org = Organization(credit_code=code, name=name, legal_rep_id=legal_rep.id)
    session.add(org)
    session.flush()
    delegate(
        session=session, organization=org, person=legal_rep, role="legal_representative", scopes=["wallet"]
    )
    return org


def delegate(
    *,
    session: Session,
    organization: Organization,
    person: Person,
    role: str,
    scopes: list[str],
    valid_until: datetime | None = None,
) -> Delegation:
    """Let ``person`` act for ``organization`` with ``role`` and ``scopes`` until ``valid_until``."""
    if role not in DELEGATION_ROLES:
        raise InvalidField("role must be legal_representative or agent", field="role", rule="choice")
    row = Delegation(
        organization_id=organization.id,
        person_id=person.id,
        role=role,
        scopes=scopes,
        valid_until=valid_until,
    )
    session.add(row)
    session.flush()
    return row


def revoke_delegation(*, session: Session, delegation_id: int, organization: Organization) -> Delegation:
    """Revoke a delegation of ``organization`` (the organisation's right)."""
    row = session.get(Delegation, delegation_id)
    if row is None or row.organization_id != organization.id:
        raise NotFound("no such delegation")
    row.revoked_at = utcnow()
    session.flush()
    return row


@dataclass(frozen=True)
class ActingOption:
    """An organisation the person may act for at login."""

    delegation_id: int
    credit_code: str
    name: str
    role: str
    scopes: list[str]
    valid_until: datetime | None = None


def list_acting_options(*, session: Session, person: Person) -> list[ActingOption]:
    """Organisations for which ``person`` holds a valid (unrevoked, unexpired) delegation."""
    now = utcnow()
    rows = session.execute(
        select(Delegation, Organization)
        .join(Organization, Organization.id == Delegation.organization_id)
        .where(
            Delegation.person_id == person.id,
            Delegation.revoked_at.is_(None),
            or_(Delegation.valid_until.is_(None), Delegation.valid_until > now),
        )
        .order_by(Organization.name)
    ).all()
    return [ActingOption(d.id, o.credit_code, o.name, d.role, list(d.scopes), d.valid_until) for d, o in rows]


def act_for_claim(option: ActingOption, *, settings: Settings) -> dict[str, Any]:
    """The ``act_for`` claim of docs/CONTRACTS.md for a chosen organisation."""
    return {
        "credit_code": option.credit_code,
        "name": option.name,
        "role": option.role,
        "scopes": option.scopes,
        "hid": holder_index(Kind.ORGANIZATION, option.credit_code, master_key=settings.secret_key),
        # internal: which delegation to check again at every code, refresh and device grant, and when it
        # ends (access tokens never outlive it); neither is shown to relying parties
        "delegation_id": option.delegation_id,
        "until": int(option.valid_until.timestamp()) if option.valid_until else None,
    }
