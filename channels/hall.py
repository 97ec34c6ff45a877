"""Hall pages of a signed-in person: my licenses (cards, detail, sealed PDF, show QR), grants, access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from channels.identity import Identity, current, hall_user
from channels.pages import PageRoute
from channels.rendering import KIT
from core.clock import utcnow
from core.db import DbInt
from core.deps import SessionDep, SettingsDep
from core.web import qr
from core.web.security import declare_no_store
from storage.deps import BlobStoreDep
from wallet.catalog import service as catalog_service
from wallet.dependencies import DELEGATION_PRESENT, DELEGATION_READ
from wallet.licenses import grants as grant_service
from wallet.licenses import holder as holder_service
from wallet.licenses import presentation as presentation_service
from wallet.licenses import purposes as purpose_catalog
from wallet.licenses import service as license_service
from wallet.licenses import views as license_views

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/hall")
HallUser = Annotated[Identity, Depends(hall_user)]


@router.get("/hall")
async def home(request: Request) -> Response:
    """The hall's front page: a welcome and sign-in, or my licenses at a glance."""
    user = await current(request, "hall")
    if user is None:
        return KIT.render(request, "hall/welcome.html")
    return KIT.redirect(request, "/hall/licenses", status_code=302)


@router.get("/hall/licenses")
def licenses(request: Request, user: HallUser, session: SessionDep, settings: SettingsDep) -> Response:
    """My licenses (and those of the organisation I act for) as cards."""
    rows = holder_service.list_licenses(session=session, caller=user.caller)
    cards = [license_views.license_out(r, settings=settings, full_holder=True) for r in rows]
    return KIT.render(request, "hall/licenses.html", cards=cards)


@router.get("/hall/licenses/{identifier}")
def license_detail(
    identifier: str, request: Request, user: HallUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """One license: every field, its history, show (QR), download, grant."""
    lic = holder_service.get_license(session=session, caller=user.caller, identifier=identifier)
    out = license_views.license_out(lic, settings=settings, full_holder=True)
    events = license_service.list_events(session=session, lic=lic)
    departments = catalog_service.list_departments(session=session)
    return KIT.render(
        request,
        "hall/license.html",
        lic=out,
        events=events,
        departments=departments,
        purposes=purpose_catalog.list_all(),
        ttls=presentation_service.TTL_CHOICES,
    )


@router.get("/hall/licenses/{identifier}/pdf")
def license_pdf(
    identifier: str, request: Request, user: HallUser, session: SessionDep, blob_store: BlobStoreDep
) -> Response:
    """The sealed original PDF."""
    lic, data = holder_service.get_pdf(
        session=session, blob_store=blob_store, caller=user.caller, identifier=identifier
    )
    name = lic.identifier.replace(".", "_") + ".pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/hall/licenses/{identifier}/present")
def present(
    identifier: str,
    request: Request,
    user: HallUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Form()] = None,
    fields: Annotated[list[str] | None, Form()] = None,
    ttl: Annotated[int, Form()] = presentation_service.DEFAULT_TTL,
) -> Response:
    """亮证: a short-lived signed token with only the chosen fields, shown as a QR code."""
    t = KIT.t_of(request)
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    lic = holder_service.get_license(
        session=session,
        caller=user.caller,
        identifier=identifier,
        action=DELEGATION_PRESENT,
        log_as="present",
    )
    shown = presentation_service.present(
        session=session,
        settings=settings,
        lic=lic,
        fields=list(fields or []),
        ttl=presentation_service.offered_ttl(ttl),
    )
    session.commit()
    link = presentation_service.verify_link(settings, shown.token)
    return KIT.render(
        request,
        "hall/present.html",
        lic=license_views.license_out(lic, settings=settings, full_holder=True),
        link=link,
        token=shown.token,
        expires_at=shown.expires_at,
        seconds=int((shown.expires_at - utcnow()).total_seconds()),
        qr=qr.svg(link, label=t("qr_label_present")),
        fields=list(fields or []),
    )


@router.post("/hall/licenses/{identifier}/grant")
def grant(
    identifier: str,
    request: Request,
    user: HallUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
    department: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    days: Annotated[int, Form()] = 30,
) -> Response:
    """用证授权: let a department use this license for a purpose (a code of the catalog) and a period."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    holder_service.grant(
        session=session,
        caller=user.caller,
        identifier=identifier,
        grantee_kind="department",
        grantee=department.strip().upper(),
        purpose=purpose,
        valid_until=grant_service.valid_until_after(days=days),
    )
    session.commit()
    return KIT.redirect(request, "/hall/grants")


@router.get("/hall/grants")
def grants(request: Request, user: HallUser, session: SessionDep) -> Response:
    """Grants over my licenses and who read or verified them (access log)."""
    hids = user.caller.holder_indexes(DELEGATION_READ)
    rows = [
        license_views.grant_out(g)
        for g in grant_service.list_for_holders(session=session, holder_indexes=hids)
    ]
    log = grant_service.list_access(session=session, holder_indexes=hids, limit=200)
    names = {d.credit_code: d.name for d in catalog_service.list_departments(session=session)}
    return KIT.render(request, "hall/grants.html", grants=rows, log=log, dept_names=names)


@router.post("/hall/grants/{grant_id}/withdraw")
def withdraw(
    grant_id: DbInt,
    request: Request,
    user: HallUser,
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Withdraw a grant; reads through it stop at once."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    holder_service.withdraw(session=session, caller=user.caller, grant_id=grant_id)
    return KIT.redirect(request, "/hall/grants")
