"""HTTP routes of the license sub-domain (issuers, holders, verifiers)."""

from fastapi import APIRouter

from wallet.licenses.routes_holder import router as holder_router
from wallet.licenses.routes_issuer import router as issuer_router
from wallet.licenses.routes_verify import router as verify_router

router = APIRouter()
router.include_router(issuer_router)
router.include_router(holder_router)
# The verification routes are mounted on their own, ahead of everything else (see wallet/router.py).

__all__ = ["router", "verify_router"]
