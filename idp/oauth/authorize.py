"""The authorization endpoint's decisions: OIDC Core §3.1.2 (prompt, max_age, acr_values) and consent.

https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest

Requested assurance (``acr_values``, or ``acr`` in the ``claims`` parameter, Core §5.5.1.1): when the
session's level is lower, the person is stepped up with TOTP if that reaches a higher level; otherwise
the ID token's ``acr`` says what was achieved, never more. When ``acr`` is requested as *essential*
and cannot be met, the answer is the error ``unmet_authentication_requirements`` (OpenID Connect Core
Error Code unmet_authentication_requirements 1.0,
https://openid.net/specs/openid-connect-unmet-authentication-requirements-1_0.html) to the redirect_uri.

Framework-free: given a validated request and the browser's SSO session, say whether to redirect
with a code or an error, show an error page, or ask the user something first.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, InteractionRequiredError, LoginRequiredError
from sqlalchemy import select

from core import worklog
from core.inputs import ascii_digits, ascii_int
from idp.errors import DelegationEnded
from idp.oauth.claims import principal_for
from idp.oauth.models import Consent, SsoSession
from idp.oauth.server import OneNumberServer
from idp.oauth.subjects import PAIRWISE
from idp.parties.models import Person
from idp.sessions import ACR_RANK, acr_for, set_act_for
from idp.tokens import epoch

ALWAYS_CONSENTED = {"openid"}
SENSITIVE = {"id_number"}


@dataclass(frozen=True)
class Outcome:
    """``redirect`` (to ``location``), ``error_page`` (``error``/``description``) or ``interact``."""

    kind: str
    location: str | None = None
    interaction: str | None = None
    error: str | None = None
    description: str | None = None
    scopes: tuple[str, ...] = ()
    client_name: str | None = None
    pairwise: bool = False  # the client gets a pairwise sub (the consent page says so)


class UnmetAuthenticationRequirementsError(OAuth2Error):  # type: ignore[misc]
    """The essential ``acr`` of the request cannot be met (see the module docstring)."""

    error = "unmet_authentication_requirements"


def requested_acr(data: dict[str, Any]) -> tuple[int, bool]:
    """(rank wanted, essential): the highest level of ``acr_values``, or the lowest level the ``claims``
    parameter's essential ``id_token.acr`` accepts (Core §5.5.1.1: ``value`` or ``values``)."""
    wanted = max((ACR_RANK.get(v, 0) for v in str(data.get("acr_values") or "").split()), default=0)
    raw = data.get("claims")
    try:
        claims = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        claims = {}
    id_token = claims.get("id_token") if isinstance(claims, dict) else None
    acr = id_token.get("acr") if isinstance(id_token, dict) else None
    if isinstance(acr, dict) and acr.get("essential") is True:
        listed = acr.get("values")
        values: list[Any] = listed if isinstance(listed, list) else [acr.get("value")]
        ranks = [ACR_RANK[v] for v in values if isinstance(v, str) and v in ACR_RANK]
        if ranks:
            return min(ranks), True
    return wanted, False


def _error_outcome(server: OneNumberServer, request: Any, error: OAuth2Error) -> Outcome:
    error.state = request.payload.state
    if getattr(error, "redirect_uri", None):
        status, _, headers = server.handle_error_response(request, error)
        return Outcome(kind="redirect", location=dict(headers)["Location"])
    # RFC 6749 §4.1.2.1: never redirect to an unverified redirect URI.
    return Outcome(kind="error_page", error=error.error, description=error.get_error_description())


def scopes_needing_consent(
    server: OneNumberServer, *, person: Person, client: Any, scope: str, forced: bool
) -> list[str]:
    """Requested scopes the person has not granted this client yet (all of them when ``forced``)."""
    requested = [s for s in scope.split() if s not in ALWAYS_CONSENTED]
    if forced:
        return requested
    relevant = [s for s in requested if s in SENSITIVE or not client.row.trusted]
    if not relevant:
        return []
    consent = server.session.scalars(
        select(Consent).where(Consent.person_id == person.id, Consent.client_id == client.client_id)
    ).first()
    granted = set(consent.scopes) if consent else set()
    return [s for s in relevant if s not in granted]


def record_consent(server: OneNumberServer, *, person: Person, client_id: str, scopes: list[str]) -> None:
    """Remember that ``person`` granted ``scopes`` to the client."""
    row = server.session.scalars(
        select(Consent).where(Consent.person_id == person.id, Consent.client_id == client_id)
    ).first()
    if row is None:
        row = Consent(person_id=person.id, client_id=client_id, scopes=[])
        server.session.add(row)
    row.scopes = sorted(set(row.scopes) | set(scopes))
    worklog.append(
        session=server.session,
        actor=f"person:{person.sub}",
        action="consent.grant",
        object=f"client:{client_id}",
        details={"scopes": sorted(scopes)},
    )
    server.session.flush()


def authorize(
    server: OneNumberServer,
    request: Any,
    *,
    sso: SsoSession | None,
    fresh_login: bool = False,
    consent_given: bool | None = None,
) -> Outcome:
    """Decide the answer to an authorization request (see module docstring)."""
    try:
        grant = server.get_consent_grant(request, end_user=None)
    except OAuth2Error as error:
        return _error_outcome(server, request, error)
    redirect_uri = grant.redirect_uri
    client = request.client
    data = request.payload.data
    prompts = set((data.get("prompt") or "").split())
    try:
        if "none" in prompts and len(prompts) > 1:
            raise InvalidRequestError("prompt=none cannot be combined", redirect_uri=redirect_uri)
        max_age = data.get("max_age")
        # "²".isdigit() is True and int("²") fails; 5,000 digits overflow int(): 1–9 ASCII digits only
        if max_age is not None and (not ascii_digits(str(max_age)) or ascii_int(str(max_age)) is None):
            raise InvalidRequestError("max_age must be a number of seconds", redirect_uri=redirect_uri)
        silent = "none" in prompts
        if sso is None:
            if silent:
                raise LoginRequiredError(redirect_uri=redirect_uri)
            return Outcome(kind="interact", interaction="login")
        stale = max_age is not None and time.time() - epoch(sso.auth_time) > int(max_age)
        if ("login" in prompts or stale) and not fresh_login:
            if silent:
                raise LoginRequiredError(redirect_uri=redirect_uri)
            return Outcome(kind="interact", interaction="login")
        person = server.session.get(Person, sso.person_id)
        if person is None:
            raise LoginRequiredError(redirect_uri=redirect_uri)
        wanted, essential = requested_acr(data)
        achieved = ACR_RANK.get(sso.acr, 0)
        if wanted > achieved:
            # a TOTP step-up, if the person has TOTP and it raises the level (to the one wanted, if essential)
            stepped = ACR_RANK[acr_for(person, [*sso.amr, "otp"])] if person.totp_cipher else achieved
            if "otp" not in sso.amr and stepped > achieved and (stepped >= wanted or not essential):
                if silent:
                    raise InteractionRequiredError(redirect_uri=redirect_uri)
                return Outcome(kind="interact", interaction="totp")
            if essential:
                raise UnmetAuthenticationRequirementsError(
                    "The requested authentication level cannot be met.", redirect_uri=redirect_uri
                )
            # not essential: the code carries the session's real acr (the ID token never claims more)
        if consent_given is False:
            status, _, headers = server.create_authorization_response(request, grant_user=None, grant=grant)
            return Outcome(kind="redirect", location=dict(headers)["Location"])
        if consent_given is None:
            pending = scopes_needing_consent(
                server, person=person, client=client, scope=request.scope, forced="consent" in prompts
            )
            if pending:
                if silent:
                    raise ConsentRequiredError(redirect_uri=redirect_uri)
                # the page lists everything the client will see (the allowed request is recorded whole)
                return Outcome(
                    kind="interact",
                    interaction="consent",
                    scopes=tuple(dict.fromkeys(request.scope.split())),
                    client_name=client.row.name,
                    pairwise=client.row.subject_type == PAIRWISE,
                )
        else:
            record_consent(server, person=person, client_id=client.client_id, scopes=request.scope.split())
    except OAuth2Error as error:
        return _error_outcome(server, request, error)
    facts = {"acr": sso.acr, "amr": sso.amr, "auth_time": epoch(sso.auth_time), "act_for": sso.act_for}
    try:
        principal = principal_for(
            session=server.session, settings=server.settings, person=person, sid=sso.sid, facts=facts
        )
    except DelegationEnded as exc:  # the login acted for an organisation it may no longer act for
        set_act_for(session=server.session, row=sso, act_for=None)  # signed in as themselves from now on
        server.session.commit()
        return _error_outcome(server, request, AccessDeniedError(str(exc), redirect_uri=redirect_uri))
    status, _, headers = server.create_authorization_response(request, grant_user=principal, grant=grant)
    return Outcome(kind="redirect", location=dict(headers)["Location"])
