"""Hall sign-in: code + PKCE against our own idp, the callback, logout, and acting for an organisation."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from channels import identity, oidc
from channels import sessions as web_sessions
from channels.pages import PageRoute
from channels.rendering import KIT, error_page
from core.runtime import runtime_of
from core.web.pages import safe_next, settings_of
from core.web.security import declare_no_store

router = APIRouter(route_class=PageRoute, include_in_schema=False)
declare_no_store("/hall")
CHANNEL = "hall"


def return_path(value: str | None) -> str:
    """A local path to return to after login (never another site), else the hall's front page."""
    return safe_next(value) or "/hall"


def _start_flow(request: Request, next_path: str) -> tuple[str, str | None]:
    """Record a new flow on the browser's session (creating one); (authorize URL, new cookie or None)."""
    settings = settings_of(request)
    flow = oidc.Flow.new()
    cookie_value = identity.session_cookie(request, CHANNEL)
    with runtime_of(request).sessionmaker() as db:
        state = web_sessions.load(session=db, settings=settings, channel=CHANNEL, cookie=cookie_value)
        new_cookie = None
        if state is None:
            state, new_cookie = web_sessions.create(session=db, settings=settings, channel=CHANNEL, data={})
        state.data["flow"] = {
            "state": flow.state,
            "nonce": flow.nonce,
            "verifier": flow.verifier,
            "next": next_path,
        }
        web_sessions.save(session=db, settings=settings, state=state)
        db.commit()
    return oidc.authorize_url(settings, flow, lang=KIT.lang_of(request)), new_cookie


def _with_cookie(request: Request, location: str, cookie: str | None) -> Response:
    response = KIT.redirect(request, location, status_code=302)
    if cookie:
        KIT.set_cookie(response, request, web_sessions.cookie_name(CHANNEL), cookie)
    return response


@router.get("/hall/login", name="hall_login")
def login(request: Request, next: str | None = None) -> Response:
    """Start the OpenID Connect code flow (PKCE S256) at our idp."""
    url, cookie = _start_flow(request, return_path(next))
    return _with_cookie(request, url, cookie)


@router.get("/hall/switch")
def switch(request: Request, next: str | None = None) -> Response:
    """Act as myself or for an organisation: the idp asks, then re-authorizes the hall with the choice."""
    url, cookie = _start_flow(request, return_path(next))
    return _with_cookie(request, "/login/select?" + urlencode({"next": url}), cookie)


@router.get("/hall/callback")
async def callback(
    request: Request, code: str | None = None, state: str | None = None, error: str | None = None
) -> Response:
    """OIDC Core §3.1.2.5: check ``state``, exchange the code, validate the ID token, start the session."""
    settings = settings_of(request)
    t = KIT.t_of(request)
    cookie_value = identity.session_cookie(request, CHANNEL)

    def load() -> web_sessions.WebState | None:
        with runtime_of(request).sessionmaker() as db:
            found = web_sessions.load(session=db, settings=settings, channel=CHANNEL, cookie=cookie_value)
            db.commit()
            return found

    web_state = await run_in_threadpool(load)
    flow_data = web_state.data.get("flow") if web_state else None
    if error:
        key = "err_login_denied" if error == "access_denied" else "err_login_failed"
        return error_page(request, t(key), status_code=400, title_key="login_title")
    if web_state is None or not flow_data or not code or state != flow_data.get("state"):
        return error_page(request, t("err_login_state"), status_code=400, title_key="login_title")
    flow = oidc.Flow(flow_data["state"], flow_data["nonce"], flow_data["verifier"])
    tokens = await oidc.exchange_code(request, settings, code=code, flow=flow)
    web_state.data.pop("flow", None)
    identity.remember_tokens(web_state, tokens)
    web_state.data["sid"] = tokens["id_claims"].get("sid")

    def store() -> str:
        with runtime_of(request).sessionmaker() as db:
            _, new_cookie = web_sessions.rotate(session=db, settings=settings, state=web_state)
            db.commit()
        return new_cookie

    new_cookie = await run_in_threadpool(store)
    KIT.renew_csrf(request)
    return _with_cookie(request, return_path(flow_data.get("next")), new_cookie)


@router.post("/hall/logout")
async def logout(request: Request, csrf: str | None = Form(None)) -> Response:
    """End the hall session, revoke its refresh token and end the idp session too (single logout)."""
    settings = settings_of(request)
    if (refused := KIT.refuse_bad_csrf(request, csrf)) is not None:
        return refused
    current = await identity.current(request, CHANNEL)
    target = "/hall"
    if current is not None:
        refresh_token = current.state.data.get("refresh_token")
        if refresh_token:
            await oidc.revoke(request, settings, token=str(refresh_token))
        id_token = current.state.data.get("id_token")
        if id_token:
            target = "/logout?" + urlencode(
                {
                    "id_token_hint": id_token,
                    "post_logout_redirect_uri": f"{settings.issuer.rstrip('/')}/hall/",
                }
            )
    await run_in_threadpool(identity.end_browser_session, request, CHANNEL)
    return identity.forget_cookie(KIT.redirect(request, target), request, CHANNEL)
