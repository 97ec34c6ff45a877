"""Errors of `wallet`: each carries its wire code and HTTP status."""

from __future__ import annotations

from core.wire import WireError
from core.worklog import contains_id_number


class WalletError(WireError):
    """Base error of `wallet`; rendered as ``{"error": code, "detail": message, "field": field}``
    (constructor and wire shape: :class:`core.wire.WireError`)."""

    code = "invalid_request"
    status_code = 400


class NotAuthenticated(WalletError):
    """No bearer token, or one the token verifier rejected."""

    code = "invalid_token"
    status_code = 401
    headers = {"WWW-Authenticate": 'Bearer realm="onenumber"'}


class AssuranceRequired(WalletError):
    """A person signed in at a self-asserted level (``acr`` low): licenses issued to the number exist, but
    their content opens only after real-name verification (实名认证) raises the account's level."""

    code = "assurance_required"
    status_code = 403


class Forbidden(WalletError):
    """The caller is known but may not do this (never used where it would reveal a license exists)."""

    code = "forbidden"
    status_code = 403


class NotFound(WalletError):
    """Nothing the caller may see exists under this name."""

    code = "not_found"
    status_code = 404


class LicenseNotFound(NotFound):
    """No license with this identifier that the caller may see (same answer whether it exists or not)."""

    code = "license_not_found"

    def __init__(self, message: str = "no such license", *, field: str | None = "identifier") -> None:
        super().__init__(message, field=field)


class UnknownLicenseType(WalletError):
    """The license type code names no type in the catalog."""

    code = "unknown_license_type"
    status_code = 422


class NotIssuer(WalletError):
    """The calling department (or its staff) does not issue this license type."""

    code = "not_issuer"
    status_code = 403


class WrongHolderKind(WalletError):
    """A valid number of the wrong kind: a credit code for a person's license, or the reverse."""

    code = "wrong_holder_kind"
    status_code = 422


class InvalidHolderNumber(WalletError):
    """The holder number is neither a valid resident ID nor a valid credit code."""

    code = "invalid_holder_number"
    status_code = 422


class AmbiguousHolderNumber(WalletError):
    """A number valid both as a resident ID and as a credit code where nothing says which holder is meant."""

    code = "ambiguous_holder_number"
    status_code = 422


class InvalidLicenseData(WalletError):
    """License data failed its type's field schema; ``field`` and ``rule`` say where and why."""

    code = "invalid_license_data"
    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, rule: str = "") -> None:
        super().__init__(message, field=field)
        self.rule = rule


class InvalidSchema(WalletError):
    """A license type's field schema uses something the catalog's validator does not support."""

    code = "invalid_schema"
    status_code = 422


class Conflict(WalletError):
    """The request conflicts with the current state (duplicate code, reused idempotency key)."""

    code = "conflict"
    status_code = 409


class InvalidTransition(Conflict):
    """A lifecycle change that the license's current status does not allow."""

    code = "invalid_transition"


class StorageUnavailable(WalletError):
    """The blob store could not keep the sealed PDF; nothing was issued."""

    code = "storage_unavailable"
    status_code = 503


class InvalidPresentation(WalletError):
    """A presentation token or SD-JWT that is malformed, forged or expired."""

    code = "invalid_presentation"
    status_code = 400


class DatabaseUnavailable(WalletError):
    """The database failed while recording a change; the change did not happen."""

    code = "database_unavailable"
    status_code = 503


class IdNumberInText(WalletError):
    """Free text (a grant purpose, a lifecycle reason, a complaint) that carries a clear resident ID number:
    it would be stored and shown in clear, so it is refused and the user is asked to remove it."""

    code = "id_number_in_text"
    status_code = 422


def refuse_id_number(text: str | None, *, field: str) -> None:
    """Raise :class:`IdNumberInText` naming ``field`` when ``text`` holds a valid resident ID number."""
    if text and contains_id_number(text):
        raise IdNumberInText("文字中含有身份证号码，请删去 (the text contains an ID number; remove it)", field=field)


class TextTooLong(WalletError):
    """A text over the length its field stores (refused before anything is written)."""

    code = "too_long"
    status_code = 422


class InvalidText(WalletError):
    """A text the database cannot store (a NUL character), refused before anything is written."""

    code = "invalid_text"
    status_code = 422


def check_text(text: str, *, field: str, max_length: int) -> str:
    """``text`` stripped, refused with a 422 naming ``field`` when over ``max_length`` characters or when
    it holds a NUL character (which PostgreSQL cannot store)."""
    clean = text.strip()
    if len(clean) > max_length:
        raise TextTooLong(
            f"{field} 最多 {max_length} 个字 ({field} is at most {max_length} characters)", field=field
        )
    if "\x00" in clean:
        raise InvalidText("文字中不能含有空字符 (text must not contain NUL)", field=field)
    return clean
