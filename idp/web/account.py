"""Account pages: account centre (个人中心) with TOTP enrolment and removal, my sessions (log out
everywhere), self-registration, password reset."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

import pyotp
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from core.runtime import runtime_of
from core.web import qr
from core.web.pages import client_address, settings_of
from core.web.security import declare_no_store
from idp import sessions as sso
from idp import signed
from idp.errors import InvalidField, LoginFailed
from idp.i18n import rule_text, translator
from idp.oauth import logout
from idp.oauth.models import SsoSession
from idp.parties import devices, recovery, throttle
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.parties.passwords import check_strength, hash_password
from idp.proofing import service as proofing
from idp.tokens import keyring_for
from idp.web.login import delayed, set_device_cookie, throttle_keys
from idp.web.pages import KIT, message, sso_cookie

router = APIRouter(tags=["idp pages"])
declare_no_store("/account")
OptionalForm = Annotated[str | None, Form()]


@router.get("/account/sessions", include_in_schema=False)
def sessions_page(request: Request) -> Response:
    """The person's live sessions."""
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return KIT.redirect(request, "/login?next=/account/sessions")
        person = session.get(Person, current.person_id)
        assert person is not None
        rows = sso.list_for(session=session, person=person)
        masked = party_service.mask_number(party_service.number_of(person, settings=settings))
        return KIT.render(
            request,
            "sessions.html",
            sessions=rows,
            current_sid=current.sid,
            name=person.name,
            masked_number=masked,
        )


def _end(request: Request, only_sid: str | None) -> Response:
    settings = settings_of(request)
    ring = keyring_for(runtime_of(request))
    with runtime_of(request).sessionmaker() as session:
        current = sso.from_cookie(session=session, cookie=sso_cookie(request))
        if current is None:
            return KIT.redirect(request, "/login")
        person = session.get(Person, current.person_id)
        assert person is not None
        targets = [r.sid for r in sso.list_for(session=session, person=person) if only_sid in (None, r.sid)]
        for sid in targets:
            logout.end_session(session=session, settings=settings, keyring=ring, sid=sid, actor=f"person:{person.sub}")
        session.commit()
        still_in = only_sid is not None and only_sid != current.sid
    if not still_in:
        KIT.renew_csrf(request)  # signed out here: the token of the signed-in pages is not reused
    response = KIT.redirect(request, "/account/sessions" if still_in else "/login")
    if not still_in:
        KIT.delete_cookie(response, request, sso.COOKIE_NAME)
    return response


@router.post("/account/sessions/logout", include_in_schema=False)
def logout_one(request: Request, csrf: OptionalForm = None, sid: OptionalForm = None) -> Response:
    """End one of my sessions."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    return _end(request, sid or "")


@router.post("/account/sessions/logout-all", include_in_schema=False)
def logout_all(request: Request, csrf: OptionalForm = None) -> Response:
    """Log out everywhere: end every session of mine, notify every client."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    return _end(request, None)


@router.get("/register", include_in_schema=False)
def register_page(request: Request) -> Response:
    """Self-registration form."""
    return KIT.render(request, "register.html", errors={}, values={})


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
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    lang = KIT.lang_of(request)
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
        return KIT.render(request, "register.html", status_code=422, errors=errors, values=values)
    with runtime_of(request).sessionmaker() as session:  # per-number limit; a real-name verified number is taken
        refusal = proofing.registration_refusal(session=session, settings=settings, number=number or "")
        session.commit()
    if refusal is not None:
        return KIT.render(
            request,
            "register.html",
            status_code=429 if refusal == "throttled" else 422,
            errors={},
            values=values,
            refusal=refusal,
            limit=settings.register_daily_per_number,
        )
    password_hash = hash_password(password or "")  # this handler runs in a worker thread
    with runtime_of(request).sessionmaker() as session:
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
            return KIT.render(request, "register.html", status_code=422, errors=errors, values=values)
        worklog.append(
            session=session,
            actor=f"person:{person.sub}",
            action="person.register",
            object=f"person:{person.sub}",
        )
        session.commit()
    # The account starts self-asserted (low); the page offers 实名认证 (or says it is not configured).
    return KIT.render(request, "registered.html", configured=proofing.is_configured(settings))


@router.get("/password-reset", include_in_schema=False)
def reset_page(request: Request) -> Response:
    """Password reset form."""
    return KIT.render(request, "reset.html")


@router.post("/password-reset", include_in_schema=False)
def reset_submit(
    request: Request,
    csrf: OptionalForm = None,
    number: OptionalForm = None,
    code: OptionalForm = None,
    password: OptionalForm = None,
) -> Response:
    """Reset the password with a counter code or TOTP; other sessions of the person end."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    t = translator(KIT.lang_of(request))
    with runtime_of(request).sessionmaker() as session:
        try:
            person = recovery.reset_password(
                session=session,
                settings=settings,
                number=number or "",
                code=code or "",
                new_password=password or "",
                address=client_address(request),
                device=KIT.read_cookie(request, devices.COOKIE_NAME),
            )
        except throttle.LoginDelayed as exc:
            response = KIT.render(
                request, "reset.html", status_code=429, number=number, error_text=t("delayed", seconds=str(exc.retry_after))
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except InvalidField as exc:
            return KIT.render(
                request,
                "reset.html",
                status_code=422,
                number=number,
                error_text=f"{t('new_password')}：{rule_text(exc.rule, KIT.lang_of(request))}",
            )
        except LoginFailed:
            return KIT.render(request, "reset.html", status_code=400, number=number, error_text=t("reset_failed"))
        for row in sso.list_for(session=session, person=person):
            sso.revoke(session=session, row=row)
        session.commit()
        response = message(request, "reset_done", ok=True, title_key="reset_title", link="/login")
        set_device_cookie(response, request, person)
    return response


# --- Account centre (个人中心): TOTP enrolment and removal, behind a recent login --------------------------

RECENT_LOGIN = timedelta(minutes=10)  # enrolling or removing a second factor needs a password this fresh
ENROL_TTL = 600
TOTP_ISSUER = "一号通"


def signed_in(request: Request, session: Session, *, recent: bool) -> tuple[SsoSession, Person] | Response:
    """The browser's session and person, or the redirect to (re-)login when there is none or, with
    ``recent``, when its last password or code is older than ``RECENT_LOGIN``."""
    row = sso.from_cookie(session=session, cookie=sso_cookie(request))
    if row is None or (recent and row.auth_time < utcnow() - RECENT_LOGIN):
        return KIT.redirect(request, "/login?" + urlencode({"next": request.url.path}))
    person = session.get(Person, row.person_id)
    assert person is not None
    return row, person


@router.get("/account", include_in_schema=False)
def account_page(request: Request) -> Response:
    """The account centre: who I am, my second factor, links to my sessions."""
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=False)
        if isinstance(found, Response):
            return found
        _, person = found
        masked = party_service.mask_number(party_service.number_of(person, settings=settings))
        return KIT.render(request, "account.html", name=person.name, masked_number=masked, totp=bool(person.totp_cipher))


@router.get("/account/totp", include_in_schema=False)
def totp_enrol_page(request: Request) -> Response:
    """A new secret to enrol: QR code of the otpauth URI, the key itself, and a code to confirm it."""
    settings = settings_of(request)
    t = translator(KIT.lang_of(request))
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=True)
        if isinstance(found, Response):
            return found
        _, person = found
        if person.totp_cipher:
            return KIT.render(request, "totp_remove.html")
        secret = pyotp.random_base32()
        label = party_service.mask_number(party_service.number_of(person, settings=settings))
        uri = pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=TOTP_ISSUER)
        pending = signed.dumps(
            {"sub": person.sub, "secret": secret}, secret=settings.secret_key, purpose="totp_enrol", ttl=ENROL_TTL
        )
    return KIT.render(
        request,
        "totp_enrol.html",
        secret=secret,
        uri=uri,
        qr=qr.svg(uri, label=t("totp_qr_label")),
        pending=pending,
    )


@router.post("/account/totp", include_in_schema=False)
def totp_enrol_submit(
    request: Request, csrf: OptionalForm = None, pending: OptionalForm = None, code: OptionalForm = None
) -> Response:
    """Turn the authenticator on once a code of the shown secret checks out."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    t = translator(KIT.lang_of(request))
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=True)
        if isinstance(found, Response):
            return found
        _, person = found
        if person.totp_cipher:
            return message(request, "totp_already", status_code=409, link="/account", link_key="account_title")
        payload = signed.loads(pending, secret=settings.secret_key, purpose="totp_enrol")
        if payload is None or payload.get("sub") != person.sub:
            return KIT.redirect(request, "/account/totp")  # expired or another person's: show a fresh secret
        secret = str(payload["secret"])
        if not pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
            uri = pyotp.TOTP(secret).provisioning_uri(
                name=party_service.mask_number(party_service.number_of(person, settings=settings)),
                issuer_name=TOTP_ISSUER,
            )
            return KIT.render(
                request,
                "totp_enrol.html",
                status_code=422,
                error_key="totp_failed",
                secret=secret,
                uri=uri,
                qr=qr.svg(uri, label=t("totp_qr_label")),
                pending=pending,
            )
        party_service.set_totp(session=session, settings=settings, person=person, secret=secret)
        worklog.append(session=session, actor=f"person:{person.sub}", action="totp.enrol", object=f"person:{person.sub}")
        session.commit()
    return message(request, "totp_enrolled", ok=True, title_key="account_title", link="/account", link_key="account_title")


@router.post("/account/totp/remove", include_in_schema=False)
def totp_remove_submit(request: Request, csrf: OptionalForm = None, code: OptionalForm = None) -> Response:
    """Turn the authenticator off: recent login plus a current code (throttled like every code)."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as session:
        found = signed_in(request, session, recent=True)
        if isinstance(found, Response):
            return found
        _, person = found
        if not person.totp_cipher:
            return message(request, "totp_none", status_code=409, link="/account", link_key="account_title")
        try:
            reservation = throttle.reserve(session=session, settings=settings, keys=throttle_keys(request, person))
        except throttle.LoginDelayed as exc:
            session.commit()
            return delayed(request, "totp_remove.html", exc)
        session.commit()
        if not party_service.verify_totp(person, code or "", settings=settings):
            throttle.record_failure(session=session, settings=settings, reservation=reservation)
            worklog.append(session=session, actor=f"person:{person.sub}", action="totp.remove_failure", object="idp:account")
            session.commit()
            return KIT.render(request, "totp_remove.html", status_code=401, error_key="totp_failed")
        throttle.release(session=session, reservation=reservation)
        person.totp_cipher = None
        worklog.append(session=session, actor=f"person:{person.sub}", action="totp.remove", object=f"person:{person.sub}")
        session.commit()
    return message(request, "totp_removed", ok=True, title_key="account_title", link="/account", link_key="account_title")
