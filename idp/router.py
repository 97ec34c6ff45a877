"""HTTP routes of `idp`, mounted by the app factory."""

from fastapi import APIRouter

from idp.counter import router as counter_router
from idp.oauth.router import router as oauth_router
from idp.web.account import router as account_router
from idp.web.consent import router as consent_router
from idp.web.login import router as login_router

router = APIRouter()
for _sub in (oauth_router, login_router, consent_router, account_router, counter_router):
    router.include_router(_sub)

__all__ = ["router"]
