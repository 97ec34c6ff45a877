"""Admin pages (role ``admin``): departments, license types and service items, read-only.

OAuth clients are not listed: they live in idp, which wallet never reads, and idp exposes no admin API for
them (its CLI ``onenumber clients list`` is the tool).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from onenumber.deps import SessionDep
from wallet.catalog import service as catalog_service
from wallet.errors import Forbidden
from wallet.services import service as items_service
from wallet.web.i18n import pick
from wallet.web.identity import Identity, hall_user
from wallet.web.pages import PageRoute
from wallet.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


async def admin_user(request: Request) -> Identity:
    """The signed-in person, who must hold the ``admin`` role."""
    user = await hall_user(request)
    if not user.is_admin:
        raise Forbidden("this page is for administrators", code="admin_only")
    return user


AdminUser = Annotated[Identity, Depends(admin_user)]


@router.get("/admin")
def overview(request: Request, user: AdminUser, session: SessionDep) -> Response:
    """Departments, license types and service items."""
    return render(
        request,
        "admin/overview.html",
        departments=catalog_service.list_departments(session=session),
        types=catalog_service.list_types(session=session),
        items=items_service.list_items(session=session),
        pick=pick,
    )
