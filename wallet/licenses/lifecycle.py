"""License lifecycle: suspend (暂扣), reinstate, revoke (吊销/撤销), cancel (注销), renew/change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from core.settings import Settings
from wallet.catalog import fieldschema
from wallet.errors import (
    Conflict,
    DatabaseUnavailable,
    InvalidTransition,
    WalletError,
    check_text,
    refuse_id_number,
)
from wallet.licenses import documents, service
from wallet.licenses.models import License, LicenseEvent

# action → (stored statuses it applies to, status after it)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "suspend": (frozenset({"valid"}), "suspended"),
    "reinstate": (frozenset({"suspended"}), "valid"),
    "revoke": (frozenset({"valid", "suspended"}), "revoked"),
    "cancel": (frozenset({"valid", "suspended"}), "cancelled"),
}
_PAST = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked", "cancel": "cancelled"}


def change_status(
    *,
    session: Session,
    lic: License,
    action: str,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> License:
    """Apply a status change with its event and work-log entry in one transaction."""
    if action not in TRANSITIONS:
        raise WalletError(f"unknown lifecycle action {action!r}", field="action")
    allowed, after = TRANSITIONS[action]
    if lic.status not in allowed:
        raise InvalidTransition(f"cannot {action} a license that is {lic.status}", field="status")
    reason = _clean_reason(reason)
    now = now or utcnow()
    before = lic.status
    lic.status, lic.status_reason, lic.status_changed_at = after, reason, now
    session.add(
        LicenseEvent(
            license_id=lic.id,
            at=now,
            action=_PAST[action],
            actor=actor,
            reason=reason,
            details={"from": before, "to": after},
        )
    )
    try:
        worklog.append(
            session=session,
            actor=actor,
            action=f"wallet.license.{_PAST[action]}",
            object=f"license:{lic.identifier}",
            details={"from": before, "to": after, "reason": reason},
        )
        session.commit()
    except DataError:  # the client's text (a NUL on PostgreSQL): 422 invalid_text, not "database away"
        session.rollback()
        raise
    except SQLAlchemyError as exc:
        session.rollback()
        raise DatabaseUnavailable("the database failed; the license status did not change") from exc
    return lic


def _clean_reason(reason: str | None) -> str | None:
    """A lifecycle reason as stored: stripped, at most 500 characters, no NUL, no clear ID number."""
    if reason is None:
        return None
    reason = check_text(reason, field="reason", max_length=500)
    refuse_id_number(reason, field="reason")
    return reason or None


def new_version(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    lic: License,
    kind: str,
    actor: str,
    data: dict[str, Any] | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> License:
    """Renew (new validity) or change (new data) a license: a new sealed version replaces this one."""
    if kind not in ("renewed", "changed"):
        raise WalletError("kind is 'renewed' or 'changed'", field="kind")
    if lic.status not in ("valid", "suspended"):
        raise InvalidTransition(f"cannot {kind[:-1]} a license that is {lic.status}", field="status")
    reason = _clean_reason(reason)
    now = now or utcnow()
    merged = {**lic.data, **(data or {})}
    clean = fieldschema.validate(lic.license_type.field_schema, merged)
    start, until = _validity(lic=lic, valid_from=valid_from, valid_until=valid_until, now=now)
    new = _next_version(lic=lic, data=clean, valid_from=start, valid_until=until, actor=actor, now=now)
    documents.seal_and_store(session=session, settings=settings, blob_store=blob_store, lic=new)
    lic.status, lic.status_reason, lic.status_changed_at = "superseded", reason, now
    superseded = LicenseEvent(
        license_id=lic.id,
        at=now,
        action="superseded",
        actor=actor,
        reason=reason,
        details={"by": new.identifier},
    )
    try:
        service.record(
            session=session,
            lic=new,
            actor=actor,
            action=kind,
            reason=reason,
            extra=[superseded],
            details={"previous": lic.identifier, "version": new.version},
        )
    except BaseException as exc:
        documents.discard_pdf(session=session, blob_store=blob_store, key=new.pdf_blob_key)
        if not isinstance(exc, IntegrityError):
            raise
        raise Conflict(
            "this license was changed at the same time by someone else; reload and retry", field="identifier"
        ) from exc
    return new


def _validity(
    *, lic: License, valid_from: date | None, valid_until: date | None, now: datetime
) -> tuple[date, date | None]:
    """The new version's validity: from today (China time) unless given, for the type's validity unless given."""
    start = valid_from or service.local_date(now)
    until = valid_until or service.add_validity(start, lic.license_type.validity)
    if until is not None and until < start:
        raise WalletError("valid_until is before valid_from", field="valid_until", code="invalid_validity")
    return start, until


def _next_version(
    *,
    lic: License,
    data: dict[str, Any],
    valid_from: date,
    valid_until: date | None,
    actor: str,
    now: datetime,
) -> License:
    """The license's next version: same type, issuer, serial and holder; new data and validity; valid."""
    return License(
        license_type=lic.license_type,
        issuer=lic.issuer,
        serial=lic.serial,
        version=lic.version + 1,
        previous_id=lic.id,
        holder_kind=lic.holder_kind,
        holder_index=lic.holder_index,
        holder_number_cipher=lic.holder_number_cipher,
        holder_number_masked=lic.holder_number_masked,
        holder_name=lic.holder_name,
        data=data,
        status="valid",
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=now,
        issued_by=actor,
        status_changed_at=now,
    )
