"""Who an application is for: the person, an organisation they act for, or a walk-in at a counter."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

import identifiers
from core.crypto import holder_index
from core.settings import Settings
from identifiers.exceptions import IdentifierError
from wallet.applications.exceptions import HolderNumberMismatch, NotStaff, OrganisationRequired
from wallet.applications.models import Application
from wallet.dependencies import DELEGATION_ALL, DELEGATION_APPLY, Caller
from wallet.errors import Forbidden, InvalidHolderNumber
from wallet.licenses.holder import require_assurance
from wallet.services.models import ServiceItem


@dataclass(frozen=True)
class Applicant:
    """The holder an application is made for, and the person making it."""

    index: str  # holder index of the applicant (person or organisation)
    kind: str  # person | organization
    name: str
    submitter_sub: str
    submitter_index: str | None
    person_name: str
    acting_role: str = "self"  # self | legal_representative | agent | counter
    number: str | None = None  # clear number when known (credit codes, numbers typed at a counter)

    @property
    def is_agent(self) -> bool:
        """True when an agent applies (委托代办): never any priority."""
        return self.acting_role == "agent"


def applicant_for(*, session: Session, caller: Caller, item: ServiceItem) -> Applicant:
    """:func:`from_caller`, once the caller's wallet is open to them: applying reuses the wallet's licenses (their
    identifiers, validity and data go into the requirements and the form), so a self-asserted account that may
    not open the wallet may not see them through an application either (issue 14)."""
    require_assurance(session=session, caller=caller)
    return from_caller(caller, item)


def from_caller(caller: Caller, item: ServiceItem) -> Applicant:
    """The applicant for ``item``: the organisation for a business item, else the person."""
    if not caller.is_person or not caller.hid:
        raise Forbidden("applications are made by persons (department systems cannot apply)")
    if item.category == "business":
        act = caller.act_for
        if act is None:
            raise OrganisationRequired(
                f"{item.name} is applied for by an organisation: log in acting for it", field="act_for"
            )
        if act.role != "legal_representative" and not ({DELEGATION_ALL, DELEGATION_APPLY} & act.scopes):
            raise Forbidden(
                f"your delegation for {act.name} does not cover applications ({DELEGATION_APPLY})",
                field="act_for",
            )
        return Applicant(
            index=act.hid,
            kind="organization",
            name=act.name,
            submitter_sub=caller.sub,
            submitter_index=caller.hid,
            person_name=caller.name or "",
            acting_role=act.role,
            number=act.credit_code,
        )
    return Applicant(
        index=caller.hid,
        kind="person",
        name=caller.name or "",
        submitter_sub=caller.sub,
        submitter_index=caller.hid,
        person_name=caller.name or "",
    )


def check_own_number(applicant: Applicant, number: str, *, settings: Settings) -> Applicant:
    """The applicant with their clear number, after checking it is theirs (needed to issue a license)."""
    try:
        clean = identifiers.validate_as(applicant.kind, number)
    except IdentifierError as exc:
        raise InvalidHolderNumber(f"not a valid number: {exc}", field="holder_number") from exc
    if holder_index(applicant.kind, clean, master_key=settings.secret_key) != applicant.index:
        raise HolderNumberMismatch("this number is not the applicant's", field="holder_number")
    return Applicant(**{**applicant.__dict__, "number": clean})


def walk_in(clerk: Caller, item: ServiceItem, *, number: str, name: str, settings: Settings) -> Applicant:
    """A walk-in applicant whose number a counter clerk typed in (the holder index finds their wallet)."""
    if not clerk.is_person or "counter" not in clerk.roles:
        raise NotStaff("accepting at a counter needs the counter role")
    kind = "organization" if item.category == "business" else "person"
    try:
        clean = identifiers.validate_as(kind, number)
    except IdentifierError as exc:
        wanted = "credit code" if item.category == "business" else "resident ID number"
        raise InvalidHolderNumber(f"not a valid {wanted}: {exc}", field="number") from exc
    if not name.strip():
        raise InvalidHolderNumber("the applicant's name is required", field="name")
    return Applicant(
        index=holder_index(kind, clean, master_key=settings.secret_key),
        kind=kind,
        name=name.strip(),
        submitter_sub=clerk.sub,
        submitter_index=None,
        person_name=name.strip() if kind == "person" else "",
        acting_role="counter",
        number=clean,
    )


def acting_for(caller: Caller, app: Application) -> Applicant:
    """The applicant as the caller acts now, which must be the application's own applicant (a person who
    applied for their organisation answers it acting for that organisation again)."""
    applicant = from_caller(caller, app.item)
    if applicant.index != app.applicant_index:
        raise Forbidden("switch to the identity this application was made for", code="switch_identity_for_application")
    return applicant
