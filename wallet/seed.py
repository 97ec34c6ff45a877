"""Demo data of `wallet` for `make run` (idempotent): departments, license types, sealed demo licenses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import holder_index
from core.settings import Settings
from wallet.applications.seed import seed as seed_applications
from wallet.catalog import demo
from wallet.catalog import service as catalog_service
from wallet.licenses import service as license_service
from wallet.licenses.models import License


def seed(*, session: Session, settings: Settings, blob_store: object) -> list[str]:
    """Create this package's demo data if missing; return lines worth printing."""
    made_depts = made_types = made_licenses = 0
    for dept in demo.DEPARTMENTS:
        if catalog_service.get_department(session=session, credit_code=dept["credit_code"]) is None:
            catalog_service.create_department(session=session, **dept)
            made_depts += 1
    for spec in demo.LICENSE_TYPES:
        if catalog_service.get_type(session=session, type_code=spec["type_code"]) is None:
            catalog_service.create_type(session=session, **spec)
            made_types += 1
    session.commit()
    for type_code, name, number, data, valid_from in demo.LICENSES:
        license_type = catalog_service.require_type(session=session, type_code=type_code)
        hid = holder_index(license_type.holder_kind, number, master_key=settings.secret_key)
        exists = session.execute(
            select(License.id).where(License.type_id == license_type.id, License.holder_index == hid).limit(1)
        ).first()
        if exists is None:
            license_service.issue(
                session=session,
                settings=settings,
                blob_store=blob_store,
                caller=None,
                type_code=type_code,
                holder_number=number,
                holder_name=name,
                data=data,
                valid_from=date.fromisoformat(valid_from),
            )
            made_licenses += 1
    total = session.execute(select(License.id)).all()
    summary = (
        f"wallet: {made_depts} departments, {made_types} license types, {made_licenses} licenses added "
        f"({len(total)} licenses in the store)"
    )
    return [summary, *seed_applications(session=session, settings=settings, blob_store=blob_store)]
