"""HTTP routes of `idp`, mounted by the app factory."""

from fastapi import APIRouter

from idp.counter import router as counter_router
from idp.oauth.router import router as oauth_router
from idp.web.account import router as account_router
from idp.web.agents import router as agents_router
from idp.web.consent import router as consent_router
from idp.web.login import router as login_router

# FastAPI tries routes in order (1–2 µs for each route passed, more through nested routers), so the app
# mounts the protocol endpoints (token, introspection, JWKS, ...) first, apart from the pages.
hot_router = oauth_router

router = APIRouter()
for _sub in (login_router, consent_router, account_router, agents_router, counter_router):
    router.include_router(_sub)

__all__ = ["hot_router", "router"]
