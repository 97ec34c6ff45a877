"""Tables of `wallet` (imported by onenumber.models so Alembic sees them)."""

import wallet.applications.models  # noqa: F401  (applications, materials, reviews, appointments)
import wallet.services.models  # noqa: F401  (service items, calendar)
from wallet.catalog.models import Department, LicenseType
from wallet.licenses.models import AccessLog, License, LicenseEvent, LicenseSerial, SerialReservation, UseGrant, WalletKey

__all__ = [
    "AccessLog",
    "Department",
    "License",
    "LicenseEvent",
    "LicenseSerial",
    "LicenseType",
    "SerialReservation",
    "UseGrant",
    "WalletKey",
]
