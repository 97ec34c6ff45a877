"""Catalog API: departments and license types (read: anyone; write: role ``admin``)."""

from __future__ import annotations

from fastapi import APIRouter

from core.deps import SessionDep
from wallet.catalog import service
from wallet.catalog.schemas import DepartmentIn, DepartmentOut, LicenseTypeIn, LicenseTypeOut
from wallet.dependencies import AdminStaffCaller
from wallet.errors import UnknownLicenseType

router = APIRouter(prefix="/api/wallet", tags=["wallet catalog"])


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(session: SessionDep) -> list[DepartmentOut]:
    """Departments that issue licenses (public information)."""
    return [DepartmentOut.model_validate(d) for d in service.list_departments(session=session)]


@router.post("/departments", response_model=DepartmentOut, status_code=201)
def create_department(body: DepartmentIn, session: SessionDep, caller: AdminStaffCaller) -> DepartmentOut:
    """Add a department (admin)."""
    dept = service.create_department(
        session=session,
        credit_code=body.credit_code,
        name=body.name,
        seal_purpose=body.seal_purpose,
        actor=caller.actor,
    )
    session.commit()
    return DepartmentOut.model_validate(dept)


@router.get("/license-types", response_model=list[LicenseTypeOut], response_model_by_alias=True)
def list_types(session: SessionDep, issuer: str | None = None) -> list[LicenseTypeOut]:
    """The license catalog (证照目录), optionally for one issuing department."""
    return [LicenseTypeOut.of(t) for t in service.list_types(session=session, issuer_code=issuer)]


@router.get("/license-types/{type_code}", response_model=LicenseTypeOut, response_model_by_alias=True)
def get_type(type_code: str, session: SessionDep) -> LicenseTypeOut:
    """One license type with its field schema."""
    row = service.get_type(session=session, type_code=type_code)
    if row is None:
        raise UnknownLicenseType(f"no license type {type_code!r}", field="type_code")
    return LicenseTypeOut.of(row)


@router.post("/license-types", response_model=LicenseTypeOut, status_code=201, response_model_by_alias=True)
def create_type(body: LicenseTypeIn, session: SessionDep, caller: AdminStaffCaller) -> LicenseTypeOut:
    """Add a license type to the catalog (admin)."""
    row = service.create_type(
        session=session,
        type_code=body.type_code,
        name=body.name,
        name_en=body.name_en,
        issuer_code=body.issuer_code,
        holder_kind=body.holder_kind,
        field_schema=body.field_schema,
        reuse_class=body.reuse_class,
        validity=body.validity.model_dump() if body.validity else None,
        description=body.description,
        actor=caller.actor,
    )
    session.commit()
    return LicenseTypeOut.of(row)
