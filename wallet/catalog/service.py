"""Catalog logic: departments and license types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import worklog
from identifiers import uscc
from identifiers.exceptions import IdentifierError
from wallet.catalog import fieldschema
from wallet.catalog.models import Department, LicenseType
from wallet.errors import Conflict, NotFound, UnknownLicenseType, WalletError, check_text

HOLDER_KINDS = ("person", "organization")
REUSE_CLASSES = ("always", "while_valid", "selectable", "never")
DEFAULT_SEAL_PURPOSE = "行政审批专用章"  # the seal a department's sealed results carry unless it names another


MAX_YEARS = 100  # longer rules would overflow a date at issuance (years=10**20 broke every issuance)
MAX_MONTHS = 1200


def _credit_code(value: str, *, field: str) -> str:
    try:
        return uscc.validate(value)
    except IdentifierError as exc:
        raise WalletError(
            f"not a valid unified social credit code: {exc}", field=field, code="invalid_credit_code"
        ) from exc


def get_department(*, session: Session, credit_code: str) -> Department | None:
    """The department with this credit code, or None."""
    return session.execute(
        select(Department).where(Department.credit_code == credit_code.strip().upper())
    ).scalar_one_or_none()


def list_departments(*, session: Session) -> Sequence[Department]:
    """All departments, by name."""
    return session.execute(select(Department).order_by(Department.credit_code)).scalars().all()


def _department_texts(name: str, seal_purpose: str) -> tuple[str, str]:
    """A department's name and seal purpose, checked against what their columns hold."""
    name = check_text(name, field="name", max_length=200)
    if not name:
        raise WalletError("a department has a name", field="name", code="name_required")
    return name, check_text(seal_purpose, field="seal_purpose", max_length=50) or DEFAULT_SEAL_PURPOSE


def create_department(
    *,
    session: Session,
    credit_code: str,
    name: str,
    seal_purpose: str = DEFAULT_SEAL_PURPOSE,
    actor: str = "system",
) -> Department:
    """Add a department (credit code validated as GB 32100); flushes, the caller commits."""
    code = _credit_code(credit_code, field="credit_code")
    name, seal_purpose = _department_texts(name, seal_purpose)
    if get_department(session=session, credit_code=code) is not None:
        raise Conflict(f"department {code} already exists", field="credit_code")
    dept = Department(credit_code=code, name=name, seal_purpose=seal_purpose)
    session.add(dept)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.department.create",
        object=f"department:{code}",
        details={"name": dept.name},
    )
    return dept


def get_type(*, session: Session, type_code: str) -> LicenseType | None:
    """The license type with this code, or None."""
    return session.execute(
        select(LicenseType).where(LicenseType.type_code == type_code.strip().upper())
    ).scalar_one_or_none()


def require_type(*, session: Session, type_code: str, field: str = "type_code") -> LicenseType:
    """The active license type with this code, or :class:`UnknownLicenseType`."""
    row = get_type(session=session, type_code=type_code)
    if row is None or not row.active:
        raise UnknownLicenseType(f"no license type {type_code!r} in the catalog", field=field)
    return row


def list_types(*, session: Session, issuer_code: str | None = None) -> Sequence[LicenseType]:
    """License types, optionally only those one department issues."""
    stmt = select(LicenseType).order_by(LicenseType.type_code)
    if issuer_code:
        stmt = stmt.join(Department).where(Department.credit_code == issuer_code.strip().upper())
    return session.execute(stmt).scalars().all()


def _check_type_code(type_code: str) -> str:
    code = type_code.strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{1,32}", code):
        raise WalletError(
            "a type code is 1-32 characters 0-9A-Z (GB/T 36904 证照类型代码)",
            field="type_code",
            code="invalid_type_code",
        )
    return code


def check_validity(validity: dict[str, Any] | None) -> dict[str, int] | None:
    """Normalise a validity rule: ``{"years": n, "months": m}`` or None for no expiry."""
    if not validity:
        return None
    extra = set(validity) - {"years", "months"}
    years, months = validity.get("years", 0), validity.get("months", 0)
    if (extra or not isinstance(years, int) or not isinstance(months, int) or isinstance(years, bool)
            or isinstance(months, bool) or not 0 <= years <= MAX_YEARS or not 0 <= months <= MAX_MONTHS):
        raise WalletError(
            f"有效期应为 0–{MAX_YEARS} 年和/或 0–{MAX_MONTHS} 个月 "
            f"(validity is 0–{MAX_YEARS} years and/or 0–{MAX_MONTHS} months)",
            field="validity",
            code="invalid_validity",
        )
    if years == 0 and months == 0:
        return None
    return {k: v for k, v in (("years", years), ("months", months)) if v}


def create_type(
    *,
    session: Session,
    type_code: str,
    name: str,
    issuer_code: str,
    holder_kind: str,
    field_schema: dict[str, Any],
    reuse_class: str,
    name_en: str = "",
    validity: dict[str, Any] | None = None,
    description: str = "",
    actor: str = "system",
) -> LicenseType:
    """Add a license type; the schema must stay within :mod:`wallet.catalog.fieldschema`."""
    code = _check_type_code(type_code)
    if holder_kind not in HOLDER_KINDS:
        raise WalletError(
            f"holder_kind is one of {HOLDER_KINDS}", field="holder_kind", code="invalid_holder_kind"
        )
    if reuse_class not in REUSE_CLASSES:
        raise WalletError(
            f"reuse_class is one of {REUSE_CLASSES}", field="reuse_class", code="invalid_reuse_class"
        )
    fieldschema.check_schema(field_schema)
    rule = check_validity(validity)
    issuer = get_department(session=session, credit_code=issuer_code)
    if issuer is None:
        raise NotFound(f"no department {issuer_code!r}", field="issuer_code", code="unknown_department")
    if get_type(session=session, type_code=code) is not None:
        raise Conflict(f"license type {code} already exists", field="type_code")
    row = LicenseType(
        type_code=code,
        name=name.strip(),
        name_en=name_en.strip(),
        issuer=issuer,
        holder_kind=holder_kind,
        field_schema=field_schema,
        validity=rule,
        reuse_class=reuse_class,
        description=description,
    )
    session.add(row)
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.license_type.create",
        object=f"license_type:{code}",
        details={"name": row.name, "issuer": issuer.credit_code},
    )
    return row


def update_department(
    *, session: Session, credit_code: str, name: str, seal_purpose: str, actor: str = "system"
) -> Department:
    """Rename a department or change its seal's purpose (the credit code never changes); flushes."""
    dept = get_department(session=session, credit_code=credit_code)
    if dept is None:
        raise NotFound(f"no department {credit_code!r}", field="credit_code", code="unknown_department")
    name, seal_purpose = _department_texts(name, seal_purpose or dept.seal_purpose)
    dept.name, dept.seal_purpose = name, seal_purpose
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.department.update",
        object=f"department:{dept.credit_code}",
        details={"name": dept.name, "seal_purpose": dept.seal_purpose},
    )
    return dept


def update_type(
    *,
    session: Session,
    type_code: str,
    name: str,
    field_schema: dict[str, Any],
    reuse_class: str,
    name_en: str = "",
    validity: dict[str, Any] | None = None,
    description: str = "",
    actor: str = "system",
) -> LicenseType:
    """Edit a license type; its code, issuer and holder kind stay (licenses already issued name them)."""
    row = get_type(session=session, type_code=type_code)
    if row is None:
        raise UnknownLicenseType(f"no license type {type_code!r} in the catalog", field="type_code")
    if reuse_class not in REUSE_CLASSES:
        raise WalletError(
            f"reuse_class is one of {REUSE_CLASSES}", field="reuse_class", code="invalid_reuse_class"
        )
    if not name.strip():
        raise WalletError("a license type has a name", field="name", code="name_required")
    fieldschema.check_schema(field_schema)
    row.validity = check_validity(validity)
    row.name, row.name_en, row.description = name.strip(), name_en.strip(), description
    row.field_schema, row.reuse_class = field_schema, reuse_class
    session.flush()
    worklog.append(
        session=session,
        actor=actor,
        action="wallet.license_type.update",
        object=f"license_type:{row.type_code}",
        details={"name": row.name, "reuse_class": reuse_class},
    )
    return row
