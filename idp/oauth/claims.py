"""Claims about a person released to clients (ID token, userinfo), by scope.

OpenID Connect Core 1.0 §5.4 (scope claims): https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError
from sqlalchemy.orm import Session

from core.settings import Settings
from idp.errors import DelegationEnded
from idp.oauth import subjects
from idp.oauth.models import Client
from idp.parties import agents
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.tokens import Principal

# Parts of the act_for claim for this platform's own APIs only: never in an ID token or at userinfo.
INTERNAL_ACT_FOR = frozenset({"hid", "delegation_id", "until"})


def principal_for(
    *,
    session: Session,
    settings: Settings,
    person: Person,
    sid: str | None,
    facts: dict[str, Any],
    client: Client | None = None,
) -> Principal:
    """Rebuild the principal of ``person`` from stored login facts (acr, amr, auth_time, act_for).

    With ``client``, its ``sub`` is the one that client knows the person by (public or pairwise, OIDC Core
    §8), so every token and claim set built from it carries the same value; without, the public ``sub``."""
    sub = person.sub if client is None else subjects.subject_for(
        session=session, settings=settings, client=client, person=person
    )
    act_for = facts.get("act_for")
    if act_for:  # the delegation as it stands now: withdrawn or ended, nothing more is issued under it
        act_for = agents.in_force(session=session, person_id=person.id, act_for=act_for)
        if act_for is None:
            raise DelegationEnded("the authorisation to act for this organisation has ended")
    return Principal(
        person_id=person.id,
        sub=sub,
        name=person.name,
        hid=person.number_index,
        acr=facts.get("acr", "low"),
        amr=list(facts.get("amr", ["pwd"])),
        auth_time=int(facts.get("auth_time", 0)),
        sid=sid,
        roles=party_service.roles_of(session=session, person=person),
        act_for=act_for,
    )


def principal_for_grant(**kwargs: Any) -> Principal:
    """:func:`principal_for` at a token grant (code, refresh, device): an ended delegation is ``invalid_grant``."""
    try:
        return principal_for(**kwargs)
    except DelegationEnded as exc:  # withdrawn or ended since the login: nothing more is issued under it
        raise InvalidGrantError(str(exc)) from exc


def user_claims(*, session: Session, settings: Settings, principal: Principal, scope: str) -> dict[str, Any]:
    """Claims for ``scope``: ``id_number`` only under its own scope (consented at /authorize)."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": principal.sub, "party_type": "person"}
    person = session.get(Person, principal.person_id)
    if person is None:
        return claims
    if "profile" in scopes:
        claims["name"] = person.name
        claims["assurance"] = person.assurance
    if "phone" in scopes and person.phone:
        claims["phone_number"] = person.phone
    if "id_number" in scopes:
        claims["id_number"] = party_service.number_of(person, settings=settings)
    if principal.act_for:
        claims["act_for"] = {k: v for k, v in principal.act_for.items() if k not in INTERNAL_ACT_FOR}
    return claims
