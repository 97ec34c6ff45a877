"""Who is using a web page: the hall or kiosk session, its tokens kept fresh, and the wallet ``Caller``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from channels import oidc
from channels import sessions as web_sessions
from channels.rendering import KIT
from core.runtime import runtime_of
from core.settings import Settings
from core.web.pages import settings_of
from idp.errors import IdpError
from wallet.dependencies import Caller
from wallet.errors import WalletError

REFRESH_MARGIN = 30


class LoginRequired(Exception):
    """No live session: send the browser to log in, then back to ``next``."""

    def __init__(self, channel: str, next_path: str) -> None:
        super().__init__(next_path)
        self.channel = channel
        self.next_path = next_path


class NotConfigured(WalletError):
    """The app has no token verifier (the composition root sets the runtime's ``token_verifier``)."""

    code = "not_configured"
    status_code = 503


@dataclass(frozen=True)
class Identity:
    """The signed-in person as the pages see them."""

    channel: str
    caller: Caller
    state: web_sessions.WebState

    @property
    def name(self) -> str:
        """Display name."""
        return self.caller.name or ""

    @property
    def acting_for(self) -> str | None:
        """Name of the organisation the person acts for, if any."""
        return self.caller.act_for.name if self.caller.act_for else None

    @property
    def is_staff(self) -> bool:
        """Counter staff, a clerk or an approver of some department."""
        return "counter" in self.caller.roles or bool(self.caller.staff_departments("clerk", "approver"))

    @property
    def is_admin(self) -> bool:
        """Platform administrator."""
        return self.caller.is_admin


def verify_access_token(request: Request, token: str) -> dict[str, Any]:
    """Claims of an access token, checked by the app's token verifier (idp's, via the composition root)."""
    verifier = runtime_of(request).token_verifier
    if verifier is None:
        raise NotConfigured("this server cannot verify sign-ins yet (no token verifier is configured)")
    claims: dict[str, Any] = verifier(token)
    return claims


def session_cookie(request: Request, channel: str) -> str | None:
    """The browser's session cookie of ``channel`` (``__Host-`` name outside development), or None."""
    return KIT.read_cookie(request, web_sessions.cookie_name(channel))


def _load(request: Request, settings: Settings, channel: str) -> web_sessions.WebState | None:
    cookie = session_cookie(request, channel)
    with runtime_of(request).sessionmaker() as db:
        state = web_sessions.load(session=db, settings=settings, channel=channel, cookie=cookie)
        db.commit()
    return state


def _store(request: Request, settings: Settings, state: web_sessions.WebState) -> None:
    with runtime_of(request).sessionmaker() as db:
        web_sessions.save(session=db, settings=settings, state=state)
        db.commit()


def end(request: Request, state: web_sessions.WebState | None) -> None:
    """Delete a session row."""
    with runtime_of(request).sessionmaker() as db:
        web_sessions.destroy(session=db, state=state)
        db.commit()


def end_browser_session(request: Request, channel: str) -> None:
    """Logout, a privilege change: the row the browser's cookie names is deleted whatever it holds (signed
    in, half-way through a login, or expired tokens), and the next response carries a new CSRF token."""
    settings = settings_of(request)
    with runtime_of(request).sessionmaker() as db:
        state = web_sessions.load(session=db, settings=settings, channel=channel, cookie=session_cookie(request, channel))
        web_sessions.destroy(session=db, state=state)
        db.commit()
    KIT.renew_csrf(request)


def forget_cookie(response: Response, request: Request, channel: str) -> Response:
    """Expire the browser's session cookie of ``channel``."""
    KIT.delete_cookie(response, request, web_sessions.cookie_name(channel))
    return response


async def current(request: Request, channel: str) -> Identity | None:
    """The signed-in identity of ``channel`` (refreshing the access token when it is about to expire)."""
    settings = settings_of(request)
    state = await run_in_threadpool(_load, request, settings, channel)
    if state is None or not state.data.get("access_token"):
        return None
    if float(state.data.get("expires_at", 0)) < time.time() + REFRESH_MARGIN:
        refresh_token = state.data.get("refresh_token")
        tokens = await oidc.refresh(request, settings, refresh_token=refresh_token) if refresh_token else None
        if tokens is None:
            await run_in_threadpool(end, request, state)
            return None
        remember_tokens(state, tokens)
        await run_in_threadpool(_store, request, settings, state)
    try:
        claims = await run_in_threadpool(verify_access_token, request, str(state.data["access_token"]))
    except (IdpError, ValueError):  # revoked, expired or unknown key: the session ends, no trace shown
        await run_in_threadpool(end, request, state)
        return None
    identity = Identity(channel=channel, caller=Caller.from_claims(claims), state=state)
    request.state.web_identity = identity
    return identity


def remember_tokens(state: web_sessions.WebState, tokens: dict[str, Any]) -> None:
    """Keep the tokens of a token response on the session."""
    state.data["access_token"] = tokens["access_token"]
    if tokens.get("refresh_token"):
        state.data["refresh_token"] = tokens["refresh_token"]
    if tokens.get("id_token"):
        state.data["id_token"] = tokens["id_token"]
    state.data["expires_at"] = time.time() + int(tokens.get("expires_in", 300))


async def require(request: Request, channel: str = "hall") -> Identity:
    """The identity, or :class:`LoginRequired` (the page router turns it into a redirect to log in)."""
    identity = await current(request, channel)
    if identity is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(channel, path)
    return identity


async def hall_user(request: Request) -> Identity:
    """Dependency: the hall's signed-in person."""
    return await require(request, "hall")


async def kiosk_user(request: Request) -> Identity:
    """Dependency: the person signed in at the kiosk."""
    return await require(request, "kiosk")
