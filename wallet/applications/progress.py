"""The public progress query (办件进度查询): serial number + query code, no personal data; and the link a
sealed result's QR code carries, which opens it as a page."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from core.settings import Settings
from wallet.applications.access import get_by_serial
from wallet.applications.exceptions import ApplicationNotFound
from wallet.applications.records import query_code, timeline
from wallet.services import calendar

MAX_LENGTH = 64  # serial numbers and query codes are far shorter; longer text is refused before any lookup
PAGE_PATH = "/hall/progress"


def lookup(*, session: Session, settings: Settings, serial: str, code: str) -> dict[str, Any]:
    """The public status of the application with this serial number and query code.

    Text that cannot be a serial number or a code (non-ASCII, over-long) is answered like a wrong code:
    not found, with nothing compared (``compare_digest`` raises on non-ASCII text).
    """
    if not all(v.isascii() and len(v) <= MAX_LENGTH for v in (serial, code)):
        raise ApplicationNotFound("no application with this serial number and query code", field="code")
    return public_status(session=session, settings=settings, serial=serial, code=code)


def public_status(*, session: Session, settings: Settings, serial: str, code: str) -> dict[str, Any]:
    """Status by serial number and query code, with no personal data (wrong code = not found)."""
    app = get_by_serial(session=session, serial=serial)
    if app is None or not secrets.compare_digest(query_code(app, settings=settings), code.strip()):
        raise ApplicationNotFound("no application with this serial number and query code", field="code")
    return {
        "serial": app.serial,
        "item": app.item.name,
        "item_code": app.item.code,
        "status": app.status,
        "submitted_on": calendar.local_date(app.submitted_at),
        "deadline": app.deadline,
        "concluded_on": calendar.local_date(app.concluded_at) if app.concluded_at else None,
        "timeline": [
            {"at": e.at, "action": e.action, "department": e.department_code}
            for e in timeline(session=session, app=app)
        ],
    }


def page_url(settings: Settings, serial: str, code: str | None = None) -> str:
    """The public progress page of an application (the URL in the QR code of its sealed result)."""
    query = {"serial": serial, **({"code": code} if code else {})}
    return f"{settings.issuer.rstrip('/')}{PAGE_PATH}?{urlencode(query)}"
