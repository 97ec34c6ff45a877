"""Agents (经办人) of an organisation (issue 14 item 4): its legal representative authorises a proofed person
to act for it with some wallet scopes until a date, lists, extends and withdraws them.

A delegation is checked again wherever a login acting under it becomes tokens — a code, a refresh, a device
grant, ``/authorize`` on a live session (:func:`in_force`, called by ``idp.oauth.claims.principal_for``) — so
an ended or withdrawn one stops at once there, and the scopes and end date in force are the ones tokens
carry; access tokens never outlive the delegation (``idp.tokens``). A withdrawal also names the login
sessions acting under it, which the caller ends (their access tokens die with the session).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from idp.errors import Forbidden, InvalidField, NotFound
from idp.oauth.models import SsoSession
from idp.parties import service as party_service
from idp.parties.models import Delegation, Organization, Person

# What an agent may be given; the legal representative has every wallet action (delegation scope "wallet").
AGENT_SCOPES = ("wallet:read", "wallet:apply", "wallet:share")
LONGEST = timedelta(days=3 * 366)  # an authorisation is renewed at least every three years
PROOFED = ("substantial", "high")  # an agent acts for a company: a self-asserted account cannot


@dataclass(frozen=True)
class Agent:
    """One of an organisation's agents, as its legal representative sees it."""

    delegation_id: int
    name: str
    masked_number: str
    scopes: list[str]
    valid_until: datetime | None
    active: bool


def represented_by(*, session: Session, person: Person) -> list[Organization]:
    """The organisations ``person`` is the legal representative of (with a delegation in force)."""
    now = utcnow()
    return list(session.scalars(
        select(Organization).join(Delegation, Delegation.organization_id == Organization.id).where(
            Delegation.person_id == person.id, Delegation.role == "legal_representative",
            Delegation.revoked_at.is_(None), or_(Delegation.valid_until.is_(None), Delegation.valid_until > now),
        ).order_by(Organization.name)
    ))


def _organization_of(session: Session, person: Person, credit_code: str) -> Organization:
    for org in represented_by(session=session, person=person):
        if org.credit_code == credit_code.strip().upper():
            return org
    raise Forbidden("only the organisation's legal representative manages its agents")


def list_agents(*, session: Session, settings: Settings, person: Person, credit_code: str) -> list[Agent]:
    """The organisation's agents, newest first, ended ones included (marked inactive)."""
    org = _organization_of(session, person, credit_code)
    now = utcnow()
    rows = session.execute(
        select(Delegation, Person).join(Person, Person.id == Delegation.person_id).where(
            Delegation.organization_id == org.id, Delegation.role == "agent"
        ).order_by(Delegation.created_at.desc(), Delegation.id.desc())
    ).all()
    return [
        Agent(
            delegation_id=d.id, name=p.name,
            masked_number=party_service.mask_number(party_service.number_of(p, settings=settings)),
            scopes=list(d.scopes), valid_until=d.valid_until,
            active=d.revoked_at is None and (d.valid_until is None or d.valid_until > now),
        )
        for d, p in rows
    ]


def _check(scopes: list[str], valid_until: datetime, now: datetime) -> list[str]:
    chosen = [s for s in AGENT_SCOPES if s in scopes]  # in a fixed order, once each
    if not chosen or len(chosen) != len(set(scopes)):
        raise InvalidField(f"scopes are one or more of {', '.join(AGENT_SCOPES)}", field="scopes", rule="choice")
    if valid_until.tzinfo is None:
        raise InvalidField("valid_until needs its UTC offset", field="valid_until", rule="datetime")
    if not now < valid_until <= now + LONGEST:
        raise InvalidField("valid_until is after now and at most three years ahead", field="valid_until", rule="range")
    return chosen


def authorise(
    *, session: Session, settings: Settings, person: Person, credit_code: str, agent_number: str,
    scopes: list[str], valid_until: datetime,
) -> Delegation:
    """Let the proofed person with ``agent_number`` act for the organisation with ``scopes`` until ``valid_until``;
    an agent already in force gets the new scopes and date instead (one delegation per agent)."""
    org = _organization_of(session, person, credit_code)
    chosen = _check(scopes, valid_until, utcnow())
    agent = party_service.get_by_number(session=session, settings=settings, number=agent_number.strip())
    if agent is None or agent.assurance not in PROOFED:
        raise InvalidField("the agent needs a real-name verified account (实名认证)", field="agent_number",
                           rule="proofed")
    if agent.id == person.id:
        raise InvalidField("the legal representative acts for the organisation already", field="agent_number",
                           rule="self")
    current = _in_force_rows(session, org_id=org.id, person_id=agent.id, role="agent")
    if current:
        row = current[0]
        row.scopes, row.valid_until = chosen, valid_until
        session.flush()
        return row
    return party_service.delegate(session=session, organization=org, person=agent, role="agent", scopes=chosen,
                                  valid_until=valid_until)


def withdraw(*, session: Session, person: Person, credit_code: str, delegation_id: int) -> list[str]:
    """End one of the organisation's agents now; the sids of the login sessions acting under it (to end)."""
    org = _organization_of(session, person, credit_code)
    row = session.get(Delegation, delegation_id)
    if row is None or row.organization_id != org.id or row.role != "agent":
        raise NotFound("no such agent of this organisation")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return [s.sid for s in session.scalars(
        select(SsoSession).where(SsoSession.person_id == row.person_id, SsoSession.revoked_at.is_(None))
    ) if _stands_on(s.act_for, row, org)]


def _stands_on(act_for: dict[str, Any] | None, row: Delegation, org: Organization) -> bool:
    if not act_for:
        return False
    if act_for.get("delegation_id") is not None:
        return bool(act_for["delegation_id"] == row.id)
    return act_for.get("credit_code") == org.credit_code and act_for.get("role") == row.role  # logins before ids


def _in_force_rows(session: Session, *, org_id: int, person_id: int, role: str) -> list[Delegation]:
    now = utcnow()
    return list(session.scalars(select(Delegation).where(
        Delegation.organization_id == org_id, Delegation.person_id == person_id, Delegation.role == role,
        Delegation.revoked_at.is_(None), or_(Delegation.valid_until.is_(None), Delegation.valid_until > now),
    ).order_by(Delegation.id.desc())))


def in_force(*, session: Session, person_id: int, act_for: dict[str, Any]) -> dict[str, Any] | None:
    """The ``act_for`` claim as the delegation behind it stands now (its scopes and end date), or None when
    that delegation was withdrawn or has ended."""
    query = select(Delegation).join(Organization, Organization.id == Delegation.organization_id)
    if act_for.get("delegation_id") is not None:
        query = query.where(Delegation.id == act_for["delegation_id"], Delegation.person_id == person_id)
    else:  # a login from before delegation ids were in the claim
        query = query.where(Delegation.person_id == person_id, Organization.credit_code == act_for.get("credit_code"),
                            Delegation.role == act_for.get("role"))
    now = utcnow()
    for row in session.scalars(query.order_by(Delegation.id.desc())).all():
        if row.revoked_at is None and (row.valid_until is None or row.valid_until > now):
            return {**act_for, "delegation_id": row.id, "scopes": list(row.scopes),
                    "until": int(row.valid_until.timestamp()) if row.valid_until else None}
    return None
