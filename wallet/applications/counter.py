"""The person at the window (综合受理窗口): a counter clerk types the number of someone whose ID document
they checked in person; the wallet finds that holder's licenses (every one read lands in the holder's
access log) and the service items they can apply for at the counter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import identifiers
from core.clock import utcnow
from core.crypto import holder_index
from core.settings import Settings
from wallet.dependencies import Caller
from wallet.errors import AmbiguousHolderNumber, Forbidden, InvalidHolderNumber
from wallet.licenses import grants as grant_service
from wallet.licenses import service as license_service
from wallet.licenses.models import License
from wallet.services import service as items_service
from wallet.services.models import ServiceItem

COUNTER_CHANNEL = "counter"


@dataclass(frozen=True)
class WalkInHolder:
    """A holder found at the window: the clean number, its kind, what they hold and may apply for."""

    number: str
    kind: str
    masked: str
    licenses: list[tuple[License, str]]  # (license, effective status), superseded versions left out
    items: Sequence[ServiceItem]


def clean_number(number: str) -> tuple[str, str]:
    """The normalised number and the kind of party it names (``identifiers.classify``), or a specific error."""
    kind = identifiers.classify(number)
    if kind is None:
        raise InvalidHolderNumber("not a valid resident ID number or credit code", field="number")
    if kind is identifiers.Kind.PERSON and identifiers.uscc.is_valid(number):  # two holders (issue 14.2)
        raise AmbiguousHolderNumber(
            "this number is valid both as a resident ID number and as a credit code", field="number"
        )
    return identifiers.validate_as(kind, number), str(kind)


def counter_items(*, session: Session, kind: str) -> list[ServiceItem]:
    """The items a holder of this kind can apply for at a counter (business items for organisations)."""
    return [
        i
        for i in items_service.list_items(session=session)
        if (i.category == "business") == (kind == "organization") and COUNTER_CHANNEL in (i.channels or [])
    ]


def require_counter(clerk: Caller) -> None:
    """Only counter staff look a person up by number (and take walk-in applications)."""
    if "counter" not in clerk.roles:
        raise Forbidden("finding a person needs the counter role", code="staff_only")


def find_holder(
    *, session: Session, settings: Settings, clerk: Caller, number: str, now: datetime | None = None
) -> WalkInHolder:
    """The holder a counter clerk looks up by number; each license shown is logged as read. Commits."""
    require_counter(clerk)
    clean, kind = clean_number(number)
    now = now or utcnow()
    hid = holder_index(kind, clean, master_key=settings.secret_key)
    licenses = [
        lic
        for lic in license_service.list_for_holders(session=session, holder_indexes={hid})
        if lic.status != "superseded"
    ]
    grant_service.log_reads(
        session=session,
        licenses=licenses,
        accessor=clerk.actor,
        accessor_label=f"{clerk.name or ''}（窗口）",
        channel=COUNTER_CHANNEL,
        purpose="identity checked in person",
        now=now,
    )
    return WalkInHolder(
        number=clean,
        kind=kind,
        masked=license_service.mask_number(holder_kind=kind, number=clean),
        licenses=[(lic, license_service.effective_status(lic, now=now)) for lic in licenses],
        items=counter_items(session=session, kind=kind),
    )
