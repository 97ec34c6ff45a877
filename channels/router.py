"""All web pages of `wallet`: hall, console, kiosk, verify, admin, the public service guide, and their static
files."""

from fastapi import APIRouter

from channels.admin import router as admin_router
from channels.console import router as console_router
from channels.guide import router as guide_router
from channels.hall import router as hall_router
from channels.hall_application import router as hall_application_router
from channels.hall_apply import router as hall_apply_router
from channels.hall_auth import router as hall_auth_router
from channels.kiosk import router as kiosk_router
from channels.static_files import router as static_router
from channels.verify import router as verify_router

router = APIRouter()
for _sub in (
    static_router,
    hall_auth_router,
    hall_router,
    hall_apply_router,
    hall_application_router,
    console_router,
    kiosk_router,
    verify_router,
    guide_router,
    admin_router,
):
    router.include_router(_sub)

__all__ = ["router"]
