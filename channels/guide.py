"""The public service guide (办事指南) of an item: ``/services/{code}`` as a page (zh-CN; ``?lang=en`` for
English) and ``/services/{code}/qr.png``, the QR code that opens it on a phone (微信二维码告知).

The data is the wallet's (``wallet.services.guide``, shared with the JSON API and the hall's guide); this
module only renders it with the channels' page kit.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from channels.pages import PageRoute
from channels.rendering import KIT
from core.deps import SessionDep, SettingsDep
from core.web.i18n import pick
from wallet.licenses import presentation
from wallet.services import guide, service

router = APIRouter(route_class=PageRoute, tags=["service catalog"])


@router.get("/services/{code}", response_class=HTMLResponse)
def guide_page(code: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The service guide as a page in the reader's language (zh-CN; ``?lang=en`` for English)."""
    item = service.require_item(session=session, code=code)
    lang = KIT.lang_of(request)
    data = guide.guide(session=session, item=item, base_url=settings.issuer, lang=lang)
    return KIT.render(request, "services/guide.html", g=data, pick=pick)


@router.get("/services/{code}/qr.png")
def guide_qr(code: str, session: SessionDep, settings: SettingsDep) -> Response:
    """A QR code that opens the guide page on a phone (微信二维码告知)."""
    item = service.require_item(session=session, code=code)
    url = f"{settings.issuer.rstrip('/')}/services/{item.code}"
    return Response(presentation.qr_png(url), media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
