"""Errors of the service catalog; each carries its wire code (rendered by the app's wallet handler)."""

from __future__ import annotations

from wallet.errors import Conflict, NotFound, WalletError


class UnknownServiceItem(NotFound):
    """No service item under this code."""

    code = "unknown_service_item"

    def __init__(self, code: str, *, field: str | None = "code") -> None:
        super().__init__(f"no service item {code!r} in the catalog", field=field)


class VagueRequirement(WalletError):
    """A requirement that does not name a concrete material ("其他材料", "etc.")."""

    code = "vague_requirement"
    status_code = 422


class InvalidServiceItem(WalletError):
    """A service item or requirement definition that is incomplete or inconsistent."""

    code = "invalid_service_item"
    status_code = 422


class DuplicateServiceItem(Conflict):
    """An item with this code already exists (one code per item)."""

    code = "duplicate_service_item"


class InvalidCalendarDay(WalletError):
    """A calendar entry that is not a holiday on a weekday or a working day on a weekend."""

    code = "invalid_calendar_day"
    status_code = 422
