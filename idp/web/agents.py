"""Authorised agents (经办人) in the account centre: a legal representative authorises a proofed person to act
for the company with some wallet scopes until a date, sees who may, and withdraws an agent — which ends every
login session acting under that authorisation at once (idp/parties/agents.py). Behind a recent login, like
every sensitive change of the account centre."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from core import worklog
from core.clock import CHINA_TZ
from core.runtime import runtime_of
from core.web.pages import settings_of
from idp.errors import IdpError, InvalidField
from idp.i18n import translator
from idp.oauth import logout
from idp.parties import agents
from idp.tokens import keyring_for
from idp.web.account import signed_in
from idp.web.pages import KIT

router = APIRouter(tags=["idp pages"])
OptionalForm = Annotated[str | None, Form()]
ScopesForm = Annotated[list[str] | None, Form()]
SCOPE_KEYS = {"wallet:read": "agent_scope_read", "wallet:apply": "agent_scope_apply", "wallet:share": "agent_scope_share"}


def _page(request: Request, *, status: int = 200, error: str | None = None, form: dict[str, object] | None = None,
          saved: str | None = None) -> Response:
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=True)
        if isinstance(found, Response):
            return found
        _, person = found
        companies = [
            (org, agents.list_agents(session=session, settings=settings, person=person, credit_code=org.credit_code))
            for org in agents.represented_by(session=session, person=person)
        ]
        return KIT.render(
            request, "agents.html", status_code=status, companies=companies, error=error, form=form or {},
            saved=saved, scope_keys=SCOPE_KEYS, china=CHINA_TZ,
            default_until=(datetime.now(CHINA_TZ).date() + timedelta(days=365)).isoformat(),
        )


@router.get("/account/agents", include_in_schema=False)
def agents_page(request: Request, saved: str | None = None) -> Response:
    """The companies I represent and their agents; a form to authorise one."""
    return _page(request, saved=saved if saved in ("added", "withdrawn") else None)


def _until(text: str | None) -> datetime:
    """The end of the chosen day, China time (a date field of the form)."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidField("valid_until is a date, YYYY-MM-DD", field="valid_until", rule="date") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA_TZ)


@router.post("/account/agents", include_in_schema=False)
def authorise_agent(
    request: Request, csrf: OptionalForm = None, credit_code: OptionalForm = None, agent_number: OptionalForm = None,
    scopes: ScopesForm = None, valid_until: OptionalForm = None,
) -> Response:
    """Authorise an agent (or change an authorised one's scopes and end date)."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    form: dict[str, object] = {"credit_code": credit_code or "", "agent_number": agent_number or "", "scopes": scopes or [],
            "valid_until": valid_until or ""}
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=True)
        if isinstance(found, Response):
            return found
        _, person = found
        try:
            row = agents.authorise(
                session=session, settings=settings, person=person, credit_code=credit_code or "",
                agent_number=agent_number or "", scopes=list(scopes or []), valid_until=_until(valid_until),
            )
            worklog.append(session=session, actor=f"person:{person.sub}", action="delegation.authorise",
                           object=f"delegation:{row.id}",
                           details={"scopes": row.scopes, "until": row.valid_until.isoformat() if row.valid_until else None})
            session.commit()
        except IdpError as exc:
            session.rollback()
            return _page(request, status=exc.status_code, error=_human(request, exc), form=form)
    return KIT.redirect(request, "/account/agents?saved=added")


@router.post("/account/agents/withdraw", include_in_schema=False)
def withdraw_agent(
    request: Request, csrf: OptionalForm = None, credit_code: OptionalForm = None, delegation_id: OptionalForm = None,
) -> Response:
    """Withdraw an agent: nothing more is issued under the authorisation, and its sessions end now."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    ring = keyring_for(runtime_of(request))
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=True)
        if isinstance(found, Response):
            return found
        _, person = found
        try:
            number = int(delegation_id or "") if (delegation_id or "").isascii() else -1
            sids = agents.withdraw(session=session, person=person, credit_code=credit_code or "", delegation_id=number)
        except (IdpError, ValueError) as exc:
            session.rollback()
            err = exc if isinstance(exc, IdpError) else InvalidField("no such agent", field="delegation_id")
            return _page(request, status=err.status_code, error=_human(request, err))
        for sid in sids:
            logout.end_session(session=session, settings=settings, keyring=ring, sid=sid, actor=f"person:{person.sub}")
        worklog.append(session=session, actor=f"person:{person.sub}", action="delegation.withdraw",
                       object=f"delegation:{number}", details={"sessions_ended": len(sids)})
        session.commit()
    return KIT.redirect(request, "/account/agents?saved=withdrawn")


def _human(request: Request, exc: IdpError) -> str:
    """The page's sentence for a refusal, in the page's language."""
    t = translator(KIT.lang_of(request))
    key = {
        "agent_number": "agent_error_number", "scopes": "agent_error_scopes", "valid_until": "agent_error_until",
        "delegation_id": "agent_error_missing",
    }.get(getattr(exc, "field", None) or "", "agent_error_forbidden" if exc.status_code == 403 else "agent_error_missing")
    return t(key)
