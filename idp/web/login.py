"""Login pages: number + password, organisation choice, TOTP step-up."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from core import worklog
from core.metrics import LOGINS
from core.runtime import runtime_of
from core.web.pages import client_address, safe_next, settings_of
from core.web.security import declare_no_store
from idp import sessions as sso
from idp.errors import LoginFailed
from idp.parties import devices, throttle
from idp.parties import service as party_service
from idp.parties.authenticate import address_key, authenticate
from idp.parties.models import Person
from idp.web.flow import after_login
from idp.web.pages import KIT, sso_cookie

router = APIRouter(tags=["idp pages"])
declare_no_store("/login")
FormStr = Annotated[str, Form()]
OptionalForm = Annotated[str | None, Form()]


def current(request: Request, session: object) -> sso.SsoSession | None:
    """The browser's live SSO session, if any."""
    return sso.from_cookie(session=session, cookie=sso_cookie(request))  # type: ignore[arg-type]


def delayed(request: Request, template: str, exc: throttle.LoginDelayed, **context: object) -> Response:
    """429 "请稍后再试" with the wait, on the form that was refused (and ``Retry-After``)."""
    response = KIT.render(request, template, status_code=429, error_key="delayed", wait=exc.retry_after, **context)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def throttle_keys(request: Request, person: Person) -> list[str]:
    """The keys of a signed-in person's code attempt: the browser's known device, else the account."""
    settings = settings_of(request)
    own = devices.throttle_key(KIT.read_cookie(request, devices.COOKIE_NAME), settings=settings, sub=person.sub)
    by_address = address_key(client_address(request))
    return [own or f"account:{person.number_index}"] + ([by_address] if by_address else [])


def set_device_cookie(response: Response, request: Request, person: Person) -> None:
    """Remember this browser as a known device of ``person`` (after a correct password or reset)."""
    previous = KIT.read_cookie(request, devices.COOKIE_NAME)
    value = devices.issue(settings=settings_of(request), sub=person.sub, previous=previous)
    KIT.set_cookie(response, request, devices.COOKIE_NAME, value, max_age=devices.TTL)


def _with_session_cookie(request: Request, target: str, cookie: str) -> Response:
    """Redirect with the (new) idp session cookie and a new CSRF token: every privilege change (login,
    step-up, acting for an organisation) gives the browser both, so neither a planted nor an earlier copy
    works afterwards."""
    KIT.renew_csrf(request)
    response = KIT.redirect(request, target)
    KIT.set_cookie(response, request, sso.COOKIE_NAME, cookie, max_age=int(sso.SESSION_TTL.total_seconds()))
    return response


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return KIT.render(request, "login.html", next=safe_next(next))


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    csrf: OptionalForm = None,
    number: FormStr = "",
    password: FormStr = "",
    next: OptionalForm = None,
) -> Response:
    """Check the password (in this worker thread), start the session, continue the flow."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        try:
            person = authenticate(
                session=session,
                settings=settings,
                number=number,
                password=password,
                address=client_address(request),
                device=KIT.read_cookie(request, devices.COOKIE_NAME),
            )
        except LoginFailed:
            LOGINS.labels("failure").inc()
            return KIT.render(request, "login.html", status_code=401, error_key="login_failed", number=number, next=next)
        except throttle.LoginDelayed as exc:
            LOGINS.labels("delayed").inc()
            return delayed(request, "login.html", exc, number=number, next=next)
        previous = current(request, session)
        if previous is not None:  # the browser's earlier (or a planted) session ends with this login
            sso.revoke(session=session, row=previous)
        row, cookie = sso.create(
            session=session,
            person=person,
            amr=["pwd"],
            user_agent=request.headers.get("user-agent"),
            address=client_address(request),
        )
        options = party_service.list_acting_options(session=session, person=person)
        session.commit()
    LOGINS.labels("success").inc()
    if options:
        target = "/login/select" + (f"?{_next_query(next)}" if safe_next(next) else "")
    else:
        target = after_login(next, sid=row.sid, settings=settings)
    response = _with_session_cookie(request, target, cookie)
    set_device_cookie(response, request, person)
    return response


def _next_query(next_path: str | None) -> str:
    return urlencode({"next": next_path or ""})


@router.get("/login/select", include_in_schema=False)
def select_page(request: Request, next: str | None = None) -> Response:
    """Choose to act for oneself or for an organisation one holds a delegation of."""
    with runtime_of(request).sessionmaker() as session:
        row = current(request, session)
        if row is None:
            return KIT.redirect(request, "/login")
        person = session.get(Person, row.person_id)
        assert person is not None
        options = party_service.list_acting_options(session=session, person=person)
    return KIT.render(request, "select.html", options=options, next=safe_next(next))


@router.post("/login/select", include_in_schema=False)
def select_submit(
    request: Request, csrf: OptionalForm = None, delegation: OptionalForm = None, next: OptionalForm = None
) -> Response:
    """Record the choice on the session."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        row = current(request, session)
        if row is None:
            return KIT.redirect(request, "/login")
        person = session.get(Person, row.person_id)
        assert person is not None
        act_for = None
        if delegation:
            options = {str(o.delegation_id): o for o in party_service.list_acting_options(session=session, person=person)}
            option = options.get(delegation)
            if option is None:
                return KIT.redirect(request, "/login/select")
            act_for = party_service.act_for_claim(option, settings=settings)
            worklog.append(
                session=session,
                actor=f"person:{person.sub}",
                action="login.act_for",
                object=f"organization:{option.credit_code}",
                details={"role": option.role},
            )
        sso.set_act_for(session=session, row=row, act_for=act_for)
        cookie = sso.renew_secret(session=session, row=row)
        session.commit()
        sid = row.sid
    return _with_session_cookie(request, after_login(next, sid=sid, settings=settings), cookie)


@router.get("/login/totp", include_in_schema=False)
def totp_page(request: Request, next: str | None = None) -> Response:
    """Ask for the TOTP code (step-up)."""
    return KIT.render(request, "totp.html", next=safe_next(next))


@router.post("/login/totp", include_in_schema=False)
def totp_submit(request: Request, csrf: OptionalForm = None, code: FormStr = "", next: OptionalForm = None) -> Response:
    """Verify the code and raise the session's level."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        row = current(request, session)
        if row is None:
            return KIT.redirect(request, "/login")
        person = session.get(Person, row.person_id)
        assert person is not None
        try:
            reservation = throttle.reserve(session=session, settings=settings, keys=throttle_keys(request, person))
        except throttle.LoginDelayed as exc:
            session.commit()
            return delayed(request, "totp.html", exc, next=next)
        session.commit()
        if not party_service.verify_totp(person, code, settings=settings):
            throttle.record_failure(session=session, settings=settings, reservation=reservation)
            worklog.append(session=session, actor=f"person:{person.sub}", action="login.totp_failure", object="idp:login")
            session.commit()
            return KIT.render(request, "totp.html", status_code=401, error_key="totp_failed", next=next)
        throttle.release(session=session, reservation=reservation)
        sso.step_up(session=session, row=row, person=person, method="otp")
        cookie = sso.renew_secret(session=session, row=row)
        worklog.append(session=session, actor=f"person:{person.sub}", action="login.totp", object="idp:login")
        session.commit()
        sid = row.sid
    return _with_session_cookie(request, after_login(next, sid=sid, settings=settings), cookie)
