"""The public progress query (办件进度查询): serial number + query code, no personal data; and the link a
sealed result's QR code carries, which opens it as a page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from core.settings import Settings
from wallet.applications import service as app_service
from wallet.applications.exceptions import ApplicationNotFound

MAX_LENGTH = 64  # serial numbers and query codes are far shorter; longer text is refused before any lookup
PAGE_PATH = "/hall/progress"


def lookup(*, session: Session, settings: Settings, serial: str, code: str) -> dict[str, Any]:
    """The public status of the application with this serial number and query code.

    Text that cannot be a serial number or a code (non-ASCII, over-long) is answered like a wrong code:
    not found, with nothing compared (``compare_digest`` raises on non-ASCII text).
    """
    if not all(v.isascii() and len(v) <= MAX_LENGTH for v in (serial, code)):
        raise ApplicationNotFound("no application with this serial number and query code", field="code")
    return app_service.public_status(session=session, settings=settings, serial=serial, code=code)


def page_url(settings: Settings, serial: str, code: str | None = None) -> str:
    """The public progress page of an application (the URL in the QR code of its sealed result)."""
    query = {"serial": serial, **({"code": code} if code else {})}
    return f"{settings.issuer.rstrip('/')}{PAGE_PATH}?{urlencode(query)}"
