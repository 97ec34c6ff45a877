"""HTTP endpoints of the OpenID provider (thin: each calls one protocol module)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.runtime import runtime_of
from core.web.pages import settings_of
from core.web.security import declare_no_store
from idp import revocations
from idp import sessions as sso
from idp.errors import IdpError, InvalidToken
from idp.i18n import MESSAGES
from idp.oauth import discovery, logout
from idp.oauth.adapter import (
    StarletteOAuth2Request,
    build_request,
    client_is_cached,
    new_server,
    run_endpoint,
)
from idp.oauth.authorize import Outcome, authorize
from idp.oauth.models import Client
from idp.oauth.userinfo import userinfo
from idp.tokens import KEYRING, decode, keyring_for
from idp.web.flow import TICKET_PARAM, authorize_query, ticket_sid
from idp.web.pages import KIT, check_csrf, message, sso_cookie

router = APIRouter(tags=["openid connect"])
declare_no_store("/logout", "/userinfo", "/token", "/introspect")  # tokens and personal claims
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get("/.well-known/openid-configuration")
def openid_configuration(request: Request) -> dict[str, Any]:
    """OpenID Connect Discovery metadata."""
    with runtime_of(request).sessionmaker() as session:
        return discovery.metadata(session=session, settings=settings_of(request))


@router.get("/jwks.json")
async def jwks(request: Request) -> Response:
    """Public keys that verify our tokens (active and retiring), RFC 7517."""
    ring = runtime_of(request).peek(KEYRING)
    body = ring.jwks_body() if ring is not None else None
    if body is None:  # first call, or the cached copy is stale: the database is read in a thread
        body = await run_in_threadpool(_jwks_body, request)
    max_age = settings_of(request).jwks_cache_seconds  # a rotation publishes new keys longer ahead than this
    return Response(body, media_type="application/json", headers={"Cache-Control": f"public, max-age={max_age}"})


def _jwks_body(request: Request) -> bytes:
    ring = keyring_for(runtime_of(request))
    ring.signing_key("ES256")  # make sure a key exists before the first token
    ring.jwks()
    return ring.jwks_body() or json.dumps(ring.jwks(), ensure_ascii=False, separators=(",", ":")).encode()


def outcome_response(request: Request, outcome: Outcome, query: str) -> Response:
    """Turn an authorization decision into a browser response."""
    if outcome.kind == "redirect" and outcome.location:
        return RedirectResponse(outcome.location, status_code=302)
    if outcome.kind == "error_page":
        key = f"err_{outcome.error}"
        return message(
            request,
            key if key.startswith("err_invalid") or key.startswith("err_un") else "err_invalid_request",
            status_code=400,
        )
    next_path = "/authorize?" + authorize_query(query)
    if outcome.interaction == "login":
        return RedirectResponse("/login?" + urlencode({"next": next_path}), status_code=302)
    if outcome.interaction == "totp":
        return RedirectResponse("/login/totp?" + urlencode({"next": next_path}), status_code=302)
    # what the client will see, one line a scope; a pairwise client's identifier is its own (OIDC Core §8)
    shown = [("openid_pairwise" if s == "openid" and outcome.pairwise else s) for s in outcome.scopes]
    return KIT.render(
        request,
        "consent.html",
        scopes=shown,
        client_name=outcome.client_name,
        next=next_path,
        known_scopes=MESSAGES,
    )


@router.get("/authorize", include_in_schema=False)
async def authorize_endpoint(request: Request) -> Response:
    """OIDC Core §3.1.2: authorization code flow (code only, PKCE S256)."""
    settings = settings_of(request)
    oauth_request = await build_request(request, settings)

    def work() -> Outcome:
        with runtime_of(request).sessionmaker() as session:
            current = sso.from_cookie(session=session, cookie=sso_cookie(request))
            fresh = (
                current is not None
                and ticket_sid(request.query_params.get(TICKET_PARAM), settings=settings) == current.sid
            )
            outcome = authorize(new_server(request, session), oauth_request, sso=current, fresh_login=fresh)
            session.commit()
            return outcome

    return outcome_response(request, await run_in_threadpool(work), request.url.query)


def _no_io_token(request: Request, oauth_request: StarletteOAuth2Request) -> bool:
    # client credentials for a cached client: authenticate, sign, answer — no query
    return oauth_request.form.get("grant_type") == "client_credentials" and client_is_cached(request, oauth_request)


def _no_io_introspection(request: Request, oauth_request: StarletteOAuth2Request) -> bool:
    # a JWT access token is checked by signature and the revocation view (a refresh token is a query)
    form = oauth_request.form
    return (
        form.get("token_type_hint") != "refresh_token"
        and (form.get("token") or "").count(".") == 2
        and client_is_cached(request, oauth_request)
        and revocations.is_fresh(runtime_of(request).engine)
    )


@router.post("/token")
async def token_endpoint(request: Request) -> Response:
    """RFC 6749 §3.2 token endpoint (code, refresh, client credentials, device code)."""
    response = await run_endpoint(
        request, lambda server, req: server.create_token_response(req), inline_if=_no_io_token
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/revoke")
async def revocation_endpoint(request: Request) -> Response:
    """RFC 7009 token revocation."""
    return await run_endpoint(request, lambda server, req: server.create_endpoint_response("revocation", req))


@router.post("/introspect")
async def introspection_endpoint(request: Request) -> Response:
    """RFC 7662 token introspection."""
    return await run_endpoint(
        request,
        lambda server, req: server.create_endpoint_response("introspection", req),
        inline_if=_no_io_introspection,
    )


@router.post("/device_authorization")
async def device_authorization_endpoint(request: Request) -> Response:
    """RFC 8628 §3.1 device authorization request."""
    response = await run_endpoint(
        request, lambda server, req: server.create_endpoint_response("device_authorization", req)
    )
    response.headers.update(NO_STORE)
    return response


def _bearer(request: Request, form_token: str | None = None) -> str:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    if form_token:
        return form_token
    raise InvalidToken("no bearer token")


@router.api_route("/userinfo", methods=["GET", "POST"])
async def userinfo_endpoint(request: Request) -> JSONResponse:
    """OIDC Core §5.3 UserInfo."""
    settings = settings_of(request)
    form_token = None
    if request.method == "POST":
        form = await request.form()
        value = form.get("access_token")
        form_token = value if isinstance(value, str) else None
    token = _bearer(request, form_token)

    def work() -> dict[str, Any]:
        claims = decode(token, keyring=keyring_for(runtime_of(request)), settings=settings)
        with runtime_of(request).sessionmaker() as session:
            return userinfo(session=session, settings=settings, claims=claims)

    return JSONResponse(await run_in_threadpool(work), headers=NO_STORE)


@router.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
async def end_session_endpoint(request: Request) -> Response:
    """RP-Initiated Logout: end the session (back-channel notify its clients) and redirect if asked."""
    settings = settings_of(request)
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})

    def work() -> Response:
        ring = keyring_for(runtime_of(request))
        with runtime_of(request).sessionmaker() as session:
            current = sso.from_cookie(session=session, cookie=sso_cookie(request))
            try:
                end = logout.validate_end_session(
                    session=session, settings=settings, keyring=ring, params=params, current=current
                )
            except IdpError:
                return message(request, "err_invalid_request", status_code=400)
            # RP-Initiated §2, §6: without proof that the session's RP asks, the person confirms (a bare
            # GET never logs out); the confirmation's POST carries the CSRF token (idp.oauth.logout).
            confirmed = end.proven
            if request.method == "POST" and not confirmed and "csrf" in params:
                try:
                    check_csrf(request, params.get("csrf"))
                    confirmed = True
                except IdpError:
                    return message(request, "csrf_failed", status_code=403)
            if not confirmed and current is not None:
                keep = {k: v for k, v in params.items() if k != "csrf"}
                client = session.get(Client, end.client_id) if end.client_id else None
                return KIT.render(request, "logout.html", params=keep, client_name=client.name if client else None)
            # only the session this browser's cookie names ends (a hint for another session ends nothing)
            actor = f"client:{end.client_id}" if end.proven and end.client_id else None
            if current is not None:
                logout.end_session(session=session, settings=settings, keyring=ring, sid=current.sid, actor=actor)
        KIT.renew_csrf(request)  # privilege change: a token read while signed in is not reused after
        response: Response
        if end.redirect_to:
            response = KIT.finish(RedirectResponse(end.redirect_to, status_code=302), request)
        else:
            response = message(request, "logged_out", ok=True, title_key="logout_title")
        KIT.delete_cookie(response, request, sso.COOKIE_NAME)
        return response

    return await run_in_threadpool(work)
