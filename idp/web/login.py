"""Login pages: number + password, organisation choice, TOTP step-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from idp import sessions as sso
from idp.errors import AccountLocked, CsrfError, LoginFailed
from idp.parties import service as party_service
from idp.parties import throttle
from idp.parties.authenticate import authenticate
from idp.parties.models import Person
from idp.web.flow import after_login, safe_next
from idp.web.pages import (
    check_csrf,
    client_address,
    message,
    redirect,
    render,
    renew_csrf,
    set_cookie,
    settings_of,
    sso_cookie,
)
from onenumber import worklog

router = APIRouter(tags=["idp pages"])
FormStr = Annotated[str, Form()]
OptionalForm = Annotated[str | None, Form()]


def current(request: Request, session: object) -> sso.SsoSession | None:
    """The browser's live SSO session, if any."""
    return sso.from_cookie(session=session, cookie=sso_cookie(request))  # type: ignore[arg-type]


def _with_session_cookie(request: Request, target: str, cookie: str) -> Response:
    """Redirect with the (new) idp session cookie and a new CSRF token: every privilege change (login,
    step-up, acting for an organisation) gives the browser both, so neither a planted nor an earlier copy
    works afterwards."""
    renew_csrf(request)
    response = redirect(request, target)
    set_cookie(response, request, sso.COOKIE_NAME, cookie, max_age=int(sso.SESSION_TTL.total_seconds()))
    return response


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render(request, "login.html", next=safe_next(next))


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    csrf: OptionalForm = None,
    number: FormStr = "",
    password: FormStr = "",
    next: OptionalForm = None,
) -> Response:
    """Check the password (in this worker thread), start the session, continue the flow."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    settings = settings_of(request)
    with request.app.state.sessionmaker() as session:
        try:
            person = authenticate(
                session=session,
                settings=settings,
                number=number,
                password=password,
                address=client_address(request),
            )
        except LoginFailed:
            return render(
                request, "login.html", status_code=401, error_key="login_failed", number=number, next=next
            )
        except AccountLocked:
            return render(
                request, "login.html", status_code=429, error_key="locked", number=number, next=next
            )
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
    if options:
        target = "/login/select" + (f"?{_next_query(next)}" if safe_next(next) else "")
    else:
        target = after_login(next, sid=row.sid, settings=settings)
    return _with_session_cookie(request, target, cookie)


def _next_query(next_path: str | None) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": next_path or ""})


@router.get("/login/select", include_in_schema=False)
def select_page(request: Request, next: str | None = None) -> Response:
    """Choose to act for oneself or for an organisation one holds a delegation of."""
    with request.app.state.sessionmaker() as session:
        row = current(request, session)
        if row is None:
            return redirect(request, "/login")
        person = session.get(Person, row.person_id)
        assert person is not None
        options = party_service.list_acting_options(session=session, person=person)
    return render(request, "select.html", options=options, next=safe_next(next))


@router.post("/login/select", include_in_schema=False)
def select_submit(
    request: Request, csrf: OptionalForm = None, delegation: OptionalForm = None, next: OptionalForm = None
) -> Response:
    """Record the choice on the session."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    settings = settings_of(request)
    with request.app.state.sessionmaker() as session:
        row = current(request, session)
        if row is None:
            return redirect(request, "/login")
        person = session.get(Person, row.person_id)
        assert person is not None
        act_for = None
        if delegation:
            options = {
                str(o.delegation_id): o
                for o in party_service.list_acting_options(session=session, person=person)
            }
            option = options.get(delegation)
            if option is None:
                return redirect(request, "/login/select")
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
    return render(request, "totp.html", next=safe_next(next))


@router.post("/login/totp", include_in_schema=False)
def totp_submit(
    request: Request, csrf: OptionalForm = None, code: FormStr = "", next: OptionalForm = None
) -> Response:
    """Verify the code and raise the session's level."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    settings = settings_of(request)
    with request.app.state.sessionmaker() as session:
        row = current(request, session)
        if row is None:
            return redirect(request, "/login")
        person = session.get(Person, row.person_id)
        assert person is not None
        keys = [f"account:{person.number_index}"]
        slots = throttle.reserve(session=session, settings=settings, keys=keys)
        session.commit()
        if slots is None:
            return render(request, "totp.html", status_code=429, error_key="locked", next=next)
        if not party_service.verify_totp(person, code, settings=settings):
            throttle.record_failure(session=session, settings=settings, slots=slots)
            worklog.append(
                session=session, actor=f"person:{person.sub}", action="login.totp_failure", object="idp:login"
            )
            session.commit()
            return render(request, "totp.html", status_code=401, error_key="totp_failed", next=next)
        throttle.release(session=session, slots=slots)
        sso.step_up(session=session, row=row, person=person, method="otp")
        cookie = sso.renew_secret(session=session, row=row)
        worklog.append(session=session, actor=f"person:{person.sub}", action="login.totp", object="idp:login")
        session.commit()
        sid = row.sid
    return _with_session_cookie(request, after_login(next, sid=sid, settings=settings), cookie)
