"""实名认证 pages: ``GET/POST /proofing`` (send the SMS code) and ``POST /proofing/confirm`` (type it).

The person must be signed in; the check uses the account's name and resident ID and the phone typed here.
On a signed match the person's level rises (``substantial``, or ``high`` if the provider vouches for it) and
the current session's ``acr`` is recomputed with a new session secret and CSRF token (a privilege change).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from core import worklog
from core.runtime import runtime_of
from core.web.pages import settings_of
from idp import sessions as sso
from idp.errors import AccountLocked, InvalidField, NotFound
from idp.oauth.models import SsoSession
from idp.parties import service as party_service
from idp.parties.models import Person
from idp.proofing import service as proofing
from idp.proofing.api import ProofingRefused, ProofingUnavailable, WrongCode
from idp.web.pages import KIT, sso_cookie

router = APIRouter(tags=["idp pages"])
OptionalForm = Annotated[str | None, Form()]


def _page(request: Request, session: Session, person: Person, status_code: int = 200, **context: object) -> Response:
    settings = settings_of(request)
    return KIT.render(
        request,
        "proofing.html",
        status_code=status_code,
        name=person.name,
        masked_number=party_service.mask_number(party_service.number_of(person, settings=settings)),
        level=person.assurance,
        proofed=proofing.is_proofed(person),
        configured=proofing.is_configured(settings),
        phone=person.phone,
        **context,
    )


def _signed_in(request: Request, session: Session) -> tuple[SsoSession, Person] | None:
    current = sso.from_cookie(session=session, cookie=sso_cookie(request))
    if current is None:
        return None
    person = session.get(Person, current.person_id)
    return (current, person) if person is not None else None


def _mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else phone


@router.get("/proofing", include_in_schema=False)
def proofing_page(request: Request) -> Response:
    """The person's level and, when it is low and a provider is configured, the 实名认证 form."""
    with runtime_of(request).sessionmaker() as session:
        signed_in = _signed_in(request, session)
        if signed_in is None:
            return KIT.redirect(request, "/login?next=/proofing")
        return _page(request, session, signed_in[1])


@router.post("/proofing", include_in_schema=False)
def proofing_start(request: Request, csrf: OptionalForm = None, phone: OptionalForm = None) -> Response:
    """Start a check at the provider: it sends the SMS code to ``phone``."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    t = KIT.t_of(request)
    with runtime_of(request).sessionmaker() as session:
        signed_in = _signed_in(request, session)
        if signed_in is None:
            return KIT.redirect(request, "/login?next=/proofing")
        person = signed_in[1]
        if proofing.is_proofed(person):
            return _page(request, session, person)
        try:
            provider = proofing.provider_for(settings)
            row = proofing.start(session=session, settings=settings, provider=provider, person=person, phone=phone or "")
        except ProofingUnavailable:
            session.rollback()
            key = "unavailable" if proofing.is_configured(settings) else "not_configured"
            return _page(request, session, person, status_code=503, notice=t(key))
        except InvalidField as exc:
            return _page(request, session, person, status_code=422, notice=f"{t('phone')}：{exc}")
        except AccountLocked:
            return _page(request, session, person, status_code=429, notice=t("too_many"))
        session.commit()
        return _page(request, session, person, check=row.id, ok=True, notice=t("code_sent", phone=_mask_phone(row.phone)))


@router.post("/proofing/confirm", include_in_schema=False)
def proofing_confirm(
    request: Request, csrf: OptionalForm = None, check: OptionalForm = None, code: OptionalForm = None
) -> Response:
    """Send the typed SMS code; on a signed match raise the level and renew the session."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    t = KIT.t_of(request)
    with runtime_of(request).sessionmaker() as session:
        signed_in = _signed_in(request, session)
        if signed_in is None:
            return KIT.redirect(request, "/login?next=/proofing")
        current, person = signed_in
        try:
            check_text = (check or "").strip()
            check_id = int(check_text) if check_text.isascii() and check_text.isdecimal() and len(check_text) < 10 else 0
            row = proofing.get_pending(session=session, person=person, check_id=check_id)
            provider = proofing.provider_for(settings)
            verdict = proofing.confirm(session=session, provider=provider, person=person, check=row, code=(code or "")[:16])
        except NotFound:
            return _page(request, session, person, status_code=400, notice=t("expired"))
        except WrongCode as exc:
            return _page(
                request, session, person, status_code=400, check=row.id, notice=t("wrong_code", left=str(exc.attempts_left))
            )
        except ProofingRefused as exc:
            worklog.append(
                session=session,
                actor=f"person:{person.sub}",
                action="person.proofing",
                object=f"person:{person.sub}",
                details={"result": "refused", "why": str(exc)[:200]},
            )
            session.commit()
            return _page(request, session, person, status_code=502, notice=t("refused"))
        except ProofingUnavailable:
            session.rollback()
            return _page(request, session, person, status_code=503, notice=t("unavailable"))
        worklog.append(
            session=session,
            actor=f"person:{person.sub}",
            action="person.proofing",
            object=f"person:{person.sub}",
            details={"result": "matched" if verdict.match else "no_match", "level": person.assurance, "provider": row.provider},
        )
        if not verdict.match:
            session.commit()
            return _page(request, session, person, status_code=200, notice=t("no_match"))
        current.acr = sso.acr_for(person, list(current.amr))
        cookie = sso.renew_secret(session=session, row=current)
        session.commit()
        KIT.renew_csrf(request)
        response = _page(request, session, person, ok=True, notice=t("matched"))
    KIT.set_cookie(response, request, sso.COOKIE_NAME, cookie, max_age=int(sso.SESSION_TTL.total_seconds()))
    return response
