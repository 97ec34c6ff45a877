"""Kiosk (自助终端): "scan to log in" with the device authorization grant of the ``demo-kiosk`` client, then
the person's licenses for printing; the session ends after a short inactivity (server-side and in the page).

RFC 8628 https://www.rfc-editor.org/rfc/rfc8628 — the kiosk shows ``verification_uri_complete`` as a QR
code; the browser's script asks ``/kiosk/poll``, which polls the token endpoint no faster than allowed.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from channels import identity, oidc
from channels import sessions as web_sessions
from channels.identity import Identity, kiosk_user
from channels.pages import PageRoute
from channels.rendering import KIT
from core.deps import SessionDep, SettingsDep
from core.runtime import runtime_of
from core.web import qr
from core.web.pages import settings_of
from core.web.security import declare_no_store
from storage.deps import BlobStoreDep
from wallet.licenses import holder as holder_service
from wallet.licenses import views as license_views

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/kiosk")
CHANNEL = "kiosk"
KioskUser = Annotated[Identity, Depends(kiosk_user)]
MIN_PAGE_IDLE = 3  # seconds: long enough to read that the page is about to log out


def _load(request: Request) -> web_sessions.WebState | None:
    settings = settings_of(request)
    cookie = identity.session_cookie(request, CHANNEL)
    with runtime_of(request).sessionmaker() as db:
        state = web_sessions.load(session=db, settings=settings, channel=CHANNEL, cookie=cookie)
        db.commit()
    return state


def _save(request: Request, state: web_sessions.WebState) -> None:
    with runtime_of(request).sessionmaker() as db:
        web_sessions.save(session=db, settings=settings_of(request), state=state)
        db.commit()


@router.get("/kiosk")
async def welcome(request: Request) -> Response:
    """The idle screen: one big button to log in by scanning."""
    if await identity.current(request, CHANNEL) is not None:
        return KIT.redirect(request, "/kiosk/licenses", status_code=302)
    return KIT.render(request, "kiosk/welcome.html")


@router.post("/kiosk/start")
async def start(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    """Ask the idp for a device code; remember it in a fresh kiosk session."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    settings = settings_of(request)
    grant = await oidc.device_authorization(request, settings)
    data: dict[str, Any] = {
        "device_code": grant["device_code"],
        "user_code": grant["user_code"],
        "uri": grant.get("verification_uri_complete") or grant["verification_uri"],
        "verification_uri": grant["verification_uri"],
        "interval": int(grant.get("interval", 5)),
        "device_expires_at": time.time() + int(grant.get("expires_in", 600)),
        "last_poll": 0.0,
    }

    def create() -> str:
        with runtime_of(request).sessionmaker() as db:
            old = web_sessions.load(
                session=db,
                settings=settings,
                channel=CHANNEL,
                cookie=identity.session_cookie(request, CHANNEL),
            )
            web_sessions.destroy(session=db, state=old)
            _, cookie = web_sessions.create(session=db, settings=settings, channel=CHANNEL, data=data)
            db.commit()
            return cookie

    cookie = await run_in_threadpool(create)
    response = KIT.redirect(request, "/kiosk/scan")
    KIT.set_cookie(response, request, web_sessions.cookie_name(CHANNEL), cookie)
    return response


@router.get("/kiosk/scan")
def scan(request: Request) -> Response:
    """The login QR (``verification_uri_complete``) and the short code, while the script polls."""
    state = _load(request)
    if state is None or "device_code" not in state.data:
        return KIT.redirect(request, "/kiosk", status_code=302)
    t = KIT.t_of(request)
    return KIT.render(
        request,
        "kiosk/scan.html",
        qr=qr.svg(str(state.data["uri"]), label=t("kiosk_qr_label")),
        user_code=state.data["user_code"],
        verification_uri=state.data["verification_uri"],
        interval=max(2, int(state.data["interval"])),
        seconds=max(0, int(float(state.data["device_expires_at"]) - time.time())),
    )


@router.get("/kiosk/poll")
async def poll(request: Request) -> Response:
    """For the page's script: ``pending``, ``ok``, ``denied`` or ``expired`` (polls /token at most once per
    interval, RFC 8628 §3.5)."""
    state = await run_in_threadpool(_load, request)
    if state is None:
        return _status(request, "expired")
    if state.data.get("access_token"):
        return _status(request, "ok")
    if "device_code" not in state.data or float(state.data["device_expires_at"]) < time.time():
        return _status(request, "expired")
    interval = int(state.data["interval"])
    if time.time() - float(state.data.get("last_poll", 0)) < interval:
        return _status(request, "pending")
    state.data["last_poll"] = time.time()
    outcome, tokens = await oidc.device_poll(request, settings_of(request), device_code=str(state.data["device_code"]))
    if outcome == "slow_down":
        state.data["interval"] = interval + 5
    if outcome == "ok":
        for key in ("device_code", "user_code", "uri"):
            state.data.pop(key, None)
        identity.remember_tokens(state, tokens)
    await run_in_threadpool(_save, request, state)
    if outcome in ("ok", "access_denied", "expired_token"):
        return _status(request, {"ok": "ok", "access_denied": "denied", "expired_token": "expired"}[outcome])
    if outcome in ("authorization_pending", "slow_down"):
        return _status(request, "pending")
    return _status(request, "expired")


def _status(request: Request, status: str) -> Response:
    return KIT.finish(JSONResponse({"status": status}, headers={"Cache-Control": "no-store"}), request)


def page_idle_seconds(asked: int | None) -> int:
    """The page's inactivity timeout: half the session's idle limit, or shorter when ``?idle=`` asks for it.

    The query parameter can only shorten it (a kiosk operator's setting, and what the browser test uses);
    the server still ends the session after its own idle limit whatever the page does.
    """
    default = web_sessions.idle_seconds(CHANNEL) // 2
    if asked is None:
        return default
    return max(MIN_PAGE_IDLE, min(asked, default))


@router.get("/kiosk/licenses")
def licenses(
    request: Request,
    user: KioskUser,
    session: SessionDep,
    settings: SettingsDep,
    idle: Annotated[int | None, Query(ge=1, le=3600)] = None,
) -> Response:
    """The person's licenses, each printable; the page logs out after inactivity."""
    rows = holder_service.list_licenses(session=session, caller=user.caller)
    cards = [license_views.license_out(r, settings=settings, full_holder=True) for r in rows]
    return KIT.render(request, "kiosk/licenses.html", cards=cards, idle=page_idle_seconds(idle))


@router.get("/kiosk/licenses/{identifier}/pdf")
def license_pdf(identifier: str, request: Request, user: KioskUser, session: SessionDep, blob_store: BlobStoreDep) -> Response:
    """The sealed PDF, inline, for the kiosk's printer."""
    lic, data = holder_service.get_pdf(session=session, blob_store=blob_store, caller=user.caller, identifier=identifier)
    name = lic.identifier.replace(".", "_") + ".pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/kiosk/logout")
async def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    """End the kiosk session at once (the idle timer posts this too)."""
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    state = await run_in_threadpool(_load, request)
    if state is not None:
        token = state.data.get("access_token")
        if token:
            await oidc.revoke(request, settings_of(request), token=str(token), hall=False)
    await run_in_threadpool(identity.end_browser_session, request, CHANNEL)
    return identity.forget_cookie(KIT.redirect(request, "/kiosk?bye=1"), request, CHANNEL)
