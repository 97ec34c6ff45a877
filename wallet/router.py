"""HTTP routes of `wallet`, mounted by the app factory: one sub-router per sub-domain."""

from fastapi import APIRouter

from core.web.security import declare_no_store
from wallet.applications.router import router as applications_router
from wallet.catalog.router import router as catalog_router
from wallet.licenses.router import router as licenses_router
from wallet.licenses.router import verify_router
from wallet.services.router import router as services_router

# FastAPI tries routes in order (1–2 µs for each route passed, more through nested routers), so the app
# mounts this one first: public verification is the busiest wallet endpoint.
hot_router = verify_router

# The JSON API of the wallet carries personal data: never stored by a cache.
declare_no_store(
    "/api/wallet",
    "/api/licenses",
    "/api/applications",
    "/api/counter",
    "/api/complaints",
    "/api/appointments",
    "/api/departments",
    "/api/dashboard",
    "/api/verify",
)

router = APIRouter()
router.include_router(catalog_router)
router.include_router(licenses_router)
router.include_router(services_router)
router.include_router(applications_router)
