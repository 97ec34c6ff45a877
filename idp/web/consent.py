"""Consent and device-confirmation pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from core import worklog
from core.runtime import runtime_of
from core.web.pages import client_address, safe_next, settings_of
from core.web.security import declare_no_store
from idp import sessions as sso
from idp.i18n import MESSAGES
from idp.oauth import device as device_flow
from idp.oauth.adapter import new_server, request_from_query
from idp.oauth.authorize import authorize
from idp.oauth.models import Client
from idp.oauth.subjects import PAIRWISE
from idp.parties.models import Person
from idp.tokens import epoch
from idp.web.pages import KIT, message, sso_cookie

router = APIRouter(tags=["idp pages"])
declare_no_store("/consent", "/device")
OptionalForm = Annotated[str | None, Form()]


@router.post("/consent", include_in_schema=False)
def consent_submit(
    request: Request, csrf: OptionalForm = None, next: OptionalForm = None, decision: OptionalForm = None
) -> Response:
    """Record the decision and answer the pending authorization request."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    target = safe_next(next)
    if target is None or not target.startswith("/authorize?"):
        return message(request, "err_invalid_request", status_code=400)
    settings = settings_of(request)
    oauth_request = request_from_query(target.split("?", 1)[1], settings)
    with runtime_of(request).sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return KIT.redirect(request, "/login?" + urlencode({"next": target}))
        outcome = authorize(
            new_server(request, session),
            oauth_request,
            sso=current,
            fresh_login=True,
            consent_given=decision == "allow",
        )
        session.commit()
    if outcome.kind == "redirect" and outcome.location:
        return RedirectResponse(outcome.location, status_code=303)
    return message(request, "err_invalid_request", status_code=400)


@router.get("/device", include_in_schema=False)
def device_page(request: Request, user_code: str | None = None) -> Response:
    """RFC 8628 §3.3: enter the code, or confirm the one in ``verification_uri_complete``."""
    if not user_code:
        return KIT.render(request, "device.html")
    with runtime_of(request).sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return KIT.redirect(
                request, "/login?" + urlencode({"next": f"/device?{urlencode({'user_code': user_code})}"})
            )
        entry = device_flow.enter_user_code(
            session=session, settings=settings_of(request), address=client_address(request), user_code=user_code
        )
        if entry.row is None:
            return _device_refused(request, entry.wait_seconds)
        row = entry.row
        client = session.get(Client, row.client_id)
        return KIT.render(
            request,
            "device.html",
            confirm=True,
            client_name=client.name if client else row.client_id,
            location=client.location if client else None,
            scopes=_scope_texts(row.scope, pairwise=client is not None and client.subject_type == PAIRWISE),
            user_code=row.user_code,
        )


def _device_refused(request: Request, wait_seconds: int) -> Response:
    """A wrong, expired or dead code (404), or an address that must wait (429, §5.1)."""
    if wait_seconds > 0:
        response = KIT.render(
            request, "device.html", status_code=429, error_key="device_wait", wait=str(wait_seconds)
        )
        response.headers["Retry-After"] = str(wait_seconds)
        return response
    return KIT.render(request, "device.html", status_code=404, error_key="device_unknown")


def _scope_texts(scope: str, *, pairwise: bool = False) -> list[tuple[str, str]]:
    """What the device will see, as (中文, English) pairs (§5.4: the person knows what they allow); a
    pairwise client's identifier is its own (OIDC Core §8)."""
    texts = []
    for name in scope.split():
        entry = MESSAGES.get("scope_openid_pairwise" if pairwise and name == "openid" else f"scope_{name}")
        texts.append((entry["zh-CN"], entry["en"]) if entry else (name, name))
    return texts


@router.post("/device", include_in_schema=False)
def device_submit(
    request: Request, csrf: OptionalForm = None, user_code: OptionalForm = None, decision: OptionalForm = None
) -> Response:
    """Approve or deny the device request with the current session's identity."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    with runtime_of(request).sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return KIT.redirect(request, "/login")
        entry = device_flow.enter_user_code(
            session=session,
            settings=settings_of(request),
            address=client_address(request),
            user_code=user_code or "",
        )
        if entry.row is None:
            return _device_refused(request, entry.wait_seconds)
        row = entry.row
        person = session.get(Person, current.person_id)
        assert person is not None
        approve = decision == "allow"
        facts = {
            "acr": current.acr,
            "amr": current.amr,
            "auth_time": epoch(current.auth_time),
            "act_for": current.act_for,
        }
        device_flow.decide(
            session=session, row=row, person=person, sid=current.sid, facts=facts, approve=approve
        )
        worklog.append(
            session=session,
            actor=f"person:{person.sub}",
            action="device.approve" if approve else "device.deny",
            object=f"client:{row.client_id}",
        )
        session.commit()
    return message(request, "device_done" if approve else "device_denied", ok=True, title_key="device_title")
