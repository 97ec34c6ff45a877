"""Errors of applications, reviews and feedback; each carries its wire code."""

from __future__ import annotations

from wallet.errors import Conflict, Forbidden, NotFound, WalletError


class ApplicationNotFound(NotFound):
    """No application the caller may see under this serial number (same answer whether it exists or not)."""

    code = "application_not_found"

    def __init__(self, message: str = "no such application", *, field: str | None = "serial") -> None:
        super().__init__(message, field=field)


class MaterialsMissing(WalletError):
    """Submission with requirements still unfulfilled; the message lists all of them at once (一次性告知)."""

    code = "materials_missing"
    status_code = 422

    def __init__(self, missing: list[dict[str, str]]) -> None:
        names = "；".join(f"{m['name']}（{m['action']}）" for m in missing)
        super().__init__(f"still missing: {names}", field="requirements")
        self.missing = missing


class WrongMaterialKind(WalletError):
    """A material given for a requirement of another kind (e.g. a file for a license requirement)."""

    code = "wrong_material_kind"
    status_code = 422


class UnknownRequirement(WalletError):
    """The item has no (active) requirement with this key."""

    code = "unknown_requirement"
    status_code = 422


class FileTooLarge(WalletError):
    """An upload over the requirement's size limit; nothing was stored."""

    code = "file_too_large"
    status_code = 413


class RefusedContentType(WalletError):
    """An upload whose type the requirement does not accept, or whose bytes are not what it claims."""

    code = "refused_content_type"
    status_code = 415


class InvalidForm(WalletError):
    """A form value that breaks the form's field rules."""

    code = "invalid_form"
    status_code = 422


class WrongDepartment(Forbidden):
    """The caller reviews for other departments; this application is not routed to theirs."""

    code = "wrong_department"


class NotStaff(Forbidden):
    """The caller holds no role that allows this (counter clerk, department clerk or approver)."""

    code = "not_staff"


class InvalidState(Conflict):
    """The application's current status does not allow this step."""

    code = "invalid_application_state"


class SupplementAlreadyRequested(Conflict):
    """A department may ask for a supplement once, listing everything it needs."""

    code = "supplement_already_requested"


class AlreadyRated(Conflict):
    """An application is rated once."""

    code = "already_rated"


class IdempotencyKeyReused(Conflict):
    """The same idempotency key was sent with a different request."""

    code = "idempotency_key_reused"


class SlotUnavailable(Conflict):
    """The appointment slot is full, past or cancelled."""

    code = "slot_unavailable"


class AppointmentAlreadyBooked(Conflict):
    """The holder already has a booking for this item that has not started and is not cancelled."""

    code = "appointment_already_booked"


class AppointmentDailyLimit(Conflict):
    """The person has made as many bookings today as one person may (``ONENUMBER_APPOINTMENT_DAILY_LIMIT``)."""

    code = "appointment_daily_limit"


class OrganisationRequired(WalletError):
    """A business item is applied for on behalf of an organisation (log in acting for it)."""

    code = "organisation_required"
    status_code = 422


class HolderNumberMismatch(WalletError):
    """The number given does not belong to the applicant."""

    code = "holder_number_mismatch"
    status_code = 422


class InvalidApplication(WalletError):
    """A request about an application that is malformed or breaks a rule; ``code`` says which."""

    code = "invalid_application"
    status_code = 422
