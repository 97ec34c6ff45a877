"""Who may see or change a license. Anyone without a right gets the same 404 as for a license that
does not exist, so probing identifiers teaches nothing."""

from __future__ import annotations

from wallet.dependencies import DELEGATION_READ, Caller
from wallet.errors import Forbidden, LicenseNotFound
from wallet.licenses.models import License


def holds(caller: Caller, lic: License, action: str = DELEGATION_READ) -> bool:
    """The caller holds ``lic`` (their own, or an organisation's they act for with ``action`` delegated)."""
    return lic.holder_index in caller.holder_indexes(action)


def is_self(caller: Caller, lic: License) -> bool:
    """The caller is the holder in person (reads by the holder themself are not access-logged)."""
    return caller.is_person and caller.hid is not None and caller.hid == lic.holder_index


def is_relying_party(caller: Caller) -> bool:
    """A person's token a relying party obtained (not the hall, kiosk or mobile app): every use it makes
    of a license lands in the holder's access log."""
    return caller.is_person and not caller.first_party


def require_holder(caller: Caller, lic: License | None, action: str = DELEGATION_READ) -> License:
    """``lic`` if the caller holds it for ``action``; 404 if they cannot even see it, 403 if they can."""
    if lic is None or not holds(caller, lic, DELEGATION_READ):
        raise LicenseNotFound()
    if not holds(caller, lic, action):
        raise Forbidden(f"your delegation for this organisation does not include {action}")
    return lic


def is_issuer(caller: Caller, lic: License) -> bool:
    """The caller issues this license's type for its department (system with license:issue, or a clerk)."""
    return lic.issuer.credit_code in caller.issuing_departments()


def reads_as_issuer(caller: Caller, lic: License) -> bool:
    """The caller reads on behalf of the issuing department."""
    return lic.issuer.credit_code in caller.reading_departments()


def require_issuer(caller: Caller, lic: License | None) -> License:
    """``lic`` if the caller may manage it as its issuer, else 404."""
    if lic is None or not is_issuer(caller, lic):
        raise LicenseNotFound()
    return lic
