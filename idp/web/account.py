"""Account pages: my sessions (log out everywhere), self-registration, password reset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from idp import sessions as sso
from idp.errors import CsrfError, InvalidField, LoginFailed
from idp.i18n import rule_text
from idp.oauth import logout
from idp.parties import recovery
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.parties.passwords import check_strength, hash_password
from idp.tokens import keyring_for
from idp.web.pages import (
    check_csrf,
    delete_cookie,
    lang_of,
    message,
    redirect,
    render,
    renew_csrf,
    settings_of,
    sso_cookie,
)
from onenumber import worklog

router = APIRouter(tags=["idp pages"])
OptionalForm = Annotated[str | None, Form()]


@router.get("/account/sessions", include_in_schema=False)
def sessions_page(request: Request) -> Response:
    """The person's live sessions."""
    settings = settings_of(request)
    with request.app.state.sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return redirect(request, "/login?next=/account/sessions")
        person = session.get(Person, current.person_id)
        assert person is not None
        rows = sso.list_for(session=session, person=person)
        masked = party_service.mask_number(party_service.number_of(person, settings=settings))
        return render(
            request,
            "sessions.html",
            sessions=rows,
            current_sid=current.sid,
            name=person.name,
            masked_number=masked,
        )


def _end(request: Request, only_sid: str | None) -> Response:
    settings = settings_of(request)
    ring = keyring_for(request.app.state, settings)
    with request.app.state.sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return redirect(request, "/login")
        person = session.get(Person, current.person_id)
        assert person is not None
        targets = [r.sid for r in sso.list_for(session=session, person=person) if only_sid in (None, r.sid)]
        for sid in targets:
            logout.end_session(
                session=session, settings=settings, keyring=ring, sid=sid, actor=f"person:{person.sub}"
            )
        session.commit()
        still_in = only_sid is not None and only_sid != current.sid
    if not still_in:
        renew_csrf(request)  # signed out here: the token of the signed-in pages is not reused
    response = redirect(request, "/account/sessions" if still_in else "/login")
    if not still_in:
        delete_cookie(response, request, sso.COOKIE_NAME)
    return response


@router.post("/account/sessions/logout", include_in_schema=False)
def logout_one(request: Request, csrf: OptionalForm = None, sid: OptionalForm = None) -> Response:
    """End one of my sessions."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    return _end(request, sid or "")


@router.post("/account/sessions/logout-all", include_in_schema=False)
def logout_all(request: Request, csrf: OptionalForm = None) -> Response:
    """Log out everywhere: end every session of mine, notify every client."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    return _end(request, None)


@router.get("/register", include_in_schema=False)
def register_page(request: Request) -> Response:
    """Self-registration form."""
    return render(request, "register.html", errors={}, values={})


@router.post("/register", include_in_schema=False)
def register_submit(
    request: Request,
    csrf: OptionalForm = None,
    number: OptionalForm = None,
    name: OptionalForm = None,
    phone: OptionalForm = None,
    password: OptionalForm = None,
) -> Response:
    """Create a ``low`` assurance account; each bad field gets its own sentence naming the rule."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    settings = settings_of(request)
    lang = lang_of(request)
    values = {"number": number or "", "name": name or "", "phone": phone or ""}
    errors: dict[str, str] = {}
    rule = check_strength(password or "")
    if rule:
        errors["password"] = rule_text(rule, lang)
    if not (name or "").strip():
        errors["name"] = rule_text("required", lang)
    try:
        party_service.validate_number(number or "")
    except InvalidField as exc:
        errors["number"] = rule_text(exc.rule, lang)
    if errors:
        return render(request, "register.html", status_code=422, errors=errors, values=values)
    password_hash = hash_password(password or "")  # this handler runs in a worker thread
    with request.app.state.sessionmaker() as session:
        try:
            person = party_service.create(
                session=session,
                settings=settings,
                number=number or "",
                name=name or "",
                phone=phone or None,
                password_hash=password_hash,
            )
        except InvalidField as exc:
            errors[exc.field or "number"] = rule_text(exc.rule, lang)
            return render(request, "register.html", status_code=422, errors=errors, values=values)
        worklog.append(
            session=session,
            actor=f"person:{person.sub}",
            action="person.register",
            object=f"person:{person.sub}",
        )
        session.commit()
    return message(request, "registered", ok=True, title_key="register_title", link="/login")


@router.get("/password-reset", include_in_schema=False)
def reset_page(request: Request) -> Response:
    """Password reset form."""
    return render(request, "reset.html")


@router.post("/password-reset", include_in_schema=False)
def reset_submit(
    request: Request,
    csrf: OptionalForm = None,
    number: OptionalForm = None,
    code: OptionalForm = None,
    password: OptionalForm = None,
) -> Response:
    """Reset the password with a counter code or TOTP; other sessions of the person end."""
    try:
        check_csrf(request, csrf)
    except CsrfError:
        return message(request, "csrf_failed", status_code=403)
    settings = settings_of(request)
    from idp.i18n import translator

    t = translator(lang_of(request))
    with request.app.state.sessionmaker() as session:
        try:
            person = recovery.reset_password(
                session=session,
                settings=settings,
                number=number or "",
                code=code or "",
                new_password=password or "",
            )
        except InvalidField as exc:
            return render(
                request,
                "reset.html",
                status_code=422,
                number=number,
                error_text=f"{t('new_password')}：{rule_text(exc.rule, lang_of(request))}",
            )
        except LoginFailed:
            return render(request, "reset.html", status_code=400, number=number, error_text=t("reset_failed"))
        for row in sso.list_for(session=session, person=person):
            sso.revoke(session=session, row=row)
        session.commit()
    return message(request, "reset_done", ok=True, title_key="reset_title", link="/login")
