"""Licenses: lookup, derived status, issuance (validate → identifier → seal → blob → one transaction)."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

import identifiers
from core import worklog
from core.clock import CHINA_TZ, local_date, utcnow
from core.crypto import encrypt_str, holder_index
from core.settings import Settings
from identifiers.exceptions import IdentifierError
from wallet.catalog import fieldschema
from wallet.catalog import service as catalog_service
from wallet.catalog.models import LicenseType
from wallet.dependencies import Caller
from wallet.errors import (
    Conflict,
    DatabaseUnavailable,
    InvalidHolderNumber,
    NotIssuer,
    WalletError,
    WrongHolderKind,
)
from wallet.licenses import documents, serials
from wallet.licenses.models import License, LicenseEvent
from wallet.licenses.refs import LicenseFacts

# Licenses carry Chinese civil dates (local_date and the zone: core/clock.py).
CHINA = CHINA_TZ
TERMINAL = ("revoked", "cancelled", "superseded")
HOLDER_NUMBER_CONTEXT = "license.holder_number"


def effective_status(lic: License | LicenseFacts, *, now: datetime | None = None) -> str:
    """Status as a verifier sees it: revoked/cancelled/superseded, else expired or not yet valid by date."""
    if lic.status in TERMINAL:
        return lic.status
    today = local_date(now)
    if lic.valid_until is not None and today > lic.valid_until:
        return "expired"
    if today < lic.valid_from:
        return "not_yet_valid"
    return lic.status


def add_validity(start: date, rule: dict[str, int] | None) -> date | None:
    """Last valid day for a validity rule counted from ``start`` (5 years from 2026-03-01 → 2031-02-28)."""
    if not rule:
        return None
    months = start.month - 1 + rule.get("years", 0) * 12 + rule.get("months", 0)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def mask_name(name: str) -> str:
    """Mask a person's name: 张三 → 张*, 张小三 → 张*三, 欧阳小三 → 欧**三."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def masked_holder_name(lic: License | LicenseFacts) -> str:
    """Holder name as strangers see it: persons masked, organisations (public) in full."""
    return mask_name(lic.holder_name) if lic.holder_kind == "person" else lic.holder_name


def get_by_identifier(*, session: Session, identifier: str) -> License | None:
    """The license with this identifier, or None."""
    return session.execute(
        select(License).where(License.identifier == identifier.strip().upper())
    ).scalar_one_or_none()


def get_by_sha256(*, session: Session, sha256: str) -> License | None:
    """The license whose sealed original has this SHA-256, or None."""
    return session.execute(select(License).where(License.pdf_sha256 == sha256.lower())).scalars().first()


def list_for_holders(*, session: Session, holder_indexes: frozenset[str] | set[str]) -> Sequence[License]:
    """Every license version held by any of these holder indexes, newest first."""
    if not holder_indexes:
        return []
    return (
        session.execute(
            select(License)
            .where(License.holder_index.in_(sorted(holder_indexes)))
            .order_by(License.id.desc())
        )
        .scalars()
        .all()
    )


def list_events(*, session: Session, lic: License) -> Sequence[LicenseEvent]:
    """History of a license, oldest first."""
    return (
        session.execute(
            select(LicenseEvent).where(LicenseEvent.license_id == lic.id).order_by(LicenseEvent.id)
        )
        .scalars()
        .all()
    )


def successor(*, session: Session, lic: License) -> License | None:
    """The version that replaced this one, if any."""
    return session.execute(select(License).where(License.previous_id == lic.id)).scalars().first()


def referenced_blob_keys(session: Session) -> set[str]:
    """Blob keys that licenses still reference (``onenumber storage gc`` keeps these)."""
    return set(session.execute(select(License.pdf_blob_key)).scalars().all())


def check_holder_number(*, holder_kind: str, number: str) -> str:
    """Validate a holder number for a holder kind; the other valid kind is ``wrong_holder_kind``."""
    try:
        return identifiers.validate_as(holder_kind, number)
    except IdentifierError as exc:
        wanted = (
            "a resident ID number (code type 111)"
            if holder_kind == "person"
            else "a unified social credit code (code type 001)"
        )
        if identifiers.classify(number) is not None:  # valid, but of the other kind
            raise WrongHolderKind(
                f"this license type is held by a {holder_kind}: it needs {wanted}", field="holder_number"
            ) from exc
        raise InvalidHolderNumber(f"holder_number is not {wanted}: {exc}", field="holder_number") from exc


def mask_number(*, holder_kind: str, number: str) -> str:
    """Masked holder number for display."""
    return identifiers.mask(number, holder_kind)


def authorize_issuer(*, caller: Caller | None, license_type: LicenseType) -> None:
    """Only the type's issuing department (its system with ``license:issue`` or its clerks) may issue it."""
    if caller is None:
        return  # the platform itself (seed, CLI)
    departments = caller.issuing_departments()
    if not departments:
        raise NotIssuer(
            "issuing needs a department token with scope license:issue or a clerk role", field="type_code"
        )
    if license_type.issuer.credit_code not in departments:
        raise NotIssuer(
            f"license type {license_type.type_code} is issued by {license_type.issuer.name}, "
            "not by the calling department",
            field="type_code",
        )


@dataclass(frozen=True)
class Issuance:
    """Result of :func:`issue`: the license and whether this call created it (False on idempotent replay)."""

    license: License
    created: bool
    reservation: serials.Reservation | None = None  # with ``commit=False``: the caller releases it on failure


def _request_hash(**parts: Any) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def issue_request_hash(
    *, type_code: str, hid: str, holder_name: str, data: Any, valid_from: date, valid_until: date | None
) -> str:
    """Fingerprint of an issuance request, kept beside its Idempotency-Key (``hid`` is the holder index)."""
    return _request_hash(t=type_code, h=hid, n=holder_name, d=data, f=valid_from, u=valid_until)


def _replay(*, session: Session, license_type: LicenseType, key: str, request_hash: str) -> License | None:
    lic = session.execute(
        select(License).where(License.issuer_id == license_type.issuer_id, License.idempotency_key == key)
    ).scalar_one_or_none()
    if lic is not None and lic.request_hash != request_hash:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return lic


def _validity(
    license_type: LicenseType, *, valid_from: date | None, valid_until: date | None, now: datetime
) -> tuple[date, date | None]:
    """First and last valid day: as given, else from today by the type's validity rule."""
    start = valid_from or local_date(now)
    until = valid_until or add_validity(start, license_type.validity)
    if until is not None and until < start:
        raise WalletError("valid_until is before valid_from", field="valid_until", code="invalid_validity")
    return start, until


def issue(
    *,
    session: Session,
    settings: Settings,
    blob_store: Any,
    caller: Caller | None,
    type_code: str,
    holder_number: str,
    holder_name: str,
    data: dict[str, Any],
    valid_from: date | None = None,
    valid_until: date | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> Issuance:
    """Issue a license; any failure leaves no license row and hands its serial on (a blob put before a
    database failure is the caller's to discard, or ``storage gc``'s).

    With ``commit=False`` the license is flushed into the caller's transaction, which commits it together
    with whatever else the action writes (and releases ``Issuance.reservation`` if it fails instead).
    """
    now = now or utcnow()
    license_type = catalog_service.require_type(session=session, type_code=type_code)
    authorize_issuer(caller=caller, license_type=license_type)
    number = check_holder_number(holder_kind=license_type.holder_kind, number=holder_number)
    if not holder_name.strip():
        raise WalletError("holder_name is required", field="holder_name", code="invalid_holder_name")
    clean = fieldschema.validate(license_type.field_schema, data)
    start, until = _validity(license_type, valid_from=valid_from, valid_until=valid_until, now=now)
    hid = holder_index(license_type.holder_kind, number, master_key=settings.secret_key)
    req_hash = issue_request_hash(
        type_code=license_type.type_code, hid=hid, holder_name=holder_name.strip(), data=clean,
        valid_from=start, valid_until=until,
    )
    idempotency_key = idempotency_key or None  # "" is no key (stored, it would defeat the replay check)
    if idempotency_key:
        done = _replay(session=session, license_type=license_type, key=idempotency_key, request_hash=req_hash)
        if done is not None:
            return Issuance(done, created=False)
    actor = caller.actor if caller else "system"
    lic = License(
        license_type=license_type,
        issuer=license_type.issuer,
        version=1,
        **_holder_columns(settings=settings, license_type=license_type, number=number, hid=hid, name=holder_name),
        data=clean,
        status="valid",
        valid_from=start,
        valid_until=until,
        issued_at=now,
        issued_by=actor,
        status_changed_at=now,
        idempotency_key=idempotency_key,
        request_hash=req_hash if idempotency_key else None,
    )
    reservation = serials.reserve(session=session, license_type=license_type, year=local_date(now).year)
    lic.serial = reservation.serial
    try:
        documents.seal_and_store(session=session, settings=settings, blob_store=blob_store, lic=lic)
        record(
            session=session, lic=lic, actor=actor, action="issued", details={"type": license_type.type_code},
            reservation=reservation, commit=commit,
        )
    except IntegrityError:
        serials.release(session=session, reservation=reservation)
        documents.discard_pdf(session=session, blob_store=blob_store, key=lic.pdf_blob_key)
        if idempotency_key:  # a concurrent request with the same key won; answer with its license
            done = _replay(
                session=session, license_type=license_type, key=idempotency_key, request_hash=req_hash
            )
            if done is not None:
                return Issuance(done, created=False)
        raise
    except BaseException:
        serials.release(session=session, reservation=reservation)
        documents.discard_pdf(session=session, blob_store=blob_store, key=lic.pdf_blob_key)
        raise
    return Issuance(lic, created=True, reservation=None if commit else reservation)


def _holder_columns(
    *, settings: Settings, license_type: LicenseType, number: str, hid: str, name: str
) -> dict[str, Any]:
    """Who holds a new license: kind, blind index, name, the number encrypted and masked."""
    return {
        "holder_kind": license_type.holder_kind,
        "holder_index": hid,
        "holder_name": name.strip(),
        "holder_number_cipher": encrypt_str(number, master_key=settings.secret_key, context=HOLDER_NUMBER_CONTEXT),
        "holder_number_masked": mask_number(holder_kind=license_type.holder_kind, number=number),
    }


def record(
    *,
    session: Session,
    lic: License,
    actor: str,
    action: str,
    details: dict[str, Any],
    reason: str | None = None,
    extra: Sequence[Any] = (),
    reservation: serials.Reservation | None = None,
    commit: bool = True,
) -> None:
    """One transaction: the license row, its event, ``extra`` rows, the work-log entry and the use of the
    serial's reservation (``commit=False``: flushed into the caller's transaction instead)."""
    session.add(lic)
    for obj in extra:
        session.add(obj)
    try:
        session.flush()
        session.add(
            LicenseEvent(
                license_id=lic.id,
                at=lic.issued_at,
                action=action,
                actor=actor,
                reason=reason,
                details=details,
            )
        )
        worklog.append(
            session=session,
            actor=actor,
            action=f"wallet.license.{action}",
            object=f"license:{lic.identifier}",
            details={**details, "sha256": lic.pdf_sha256},
        )
        if reservation is not None:
            serials.consume(session=session, reservation=reservation)
        if commit:
            session.commit()
        else:
            session.flush()
    except (IntegrityError, DataError, Conflict):
        session.rollback()
        raise
    except SQLAlchemyError as exc:
        session.rollback()
        raise DatabaseUnavailable(
            "the database failed while recording the license; nothing was issued, try again later"
        ) from exc
