"""An application's own rows: its serial number (流水号), the query code and clear number kept encrypted,
the timeline of its steps and how each requirement was fulfilled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.crypto import decrypt_str
from core.settings import Settings
from wallet.applications import resolve
from wallet.applications.models import Application, ApplicationEvent, ApplicationMaterial, SerialCounter
from wallet.services import calendar

QUERY_CODE_CONTEXT = "application.query_code"
NUMBER_CONTEXT = "application.applicant_number"


def query_code(app: Application, *, settings: Settings) -> str:
    """The query code given to the applicant with the serial number."""
    return decrypt_str(app.query_code_cipher, master_key=settings.secret_key, context=QUERY_CODE_CONTEXT)


def applicant_number(app: Application, *, settings: Settings) -> str | None:
    """The applicant's clear number, when it is known (needed to issue a license)."""
    if not app.applicant_number_cipher:
        return None
    return decrypt_str(app.applicant_number_cipher, master_key=settings.secret_key, context=NUMBER_CONTEXT)


def next_serial(*, session: Session, department_code: str, now: datetime) -> str:
    """The next serial number (流水号): YYYYMMDD + the department code's last six characters + a sequence."""
    day = calendar.local_date(now).strftime("%Y%m%d")
    scope = f"{day}{department_code}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SerialCounter).values(scope=scope, value=0).on_conflict_do_nothing())
    value = session.execute(
        update(SerialCounter)
        .where(SerialCounter.scope == scope)
        .values(value=SerialCounter.value + 1)
        .returning(SerialCounter.value)
    ).scalar_one()
    return f"{day}{department_code[-6:]}{value:06d}"


def event(
    *,
    session: Session,
    app: Application,
    action: str,
    role: str,
    at: datetime,
    department_code: str | None = None,
    note: str = "",
) -> None:
    """Add a step to the application's timeline (roles and departments only, never names)."""
    session.add(
        ApplicationEvent(
            application_id=app.id,
            action=action,
            role=role,
            at=at,
            department_code=department_code,
            note=note[:2000],
        )
    )


def timeline(*, session: Session, app: Application) -> Sequence[ApplicationEvent]:
    """The application's steps, oldest first."""
    return (
        session.execute(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == app.id)
            .order_by(ApplicationEvent.id)
        )
        .scalars()
        .all()
    )


def record_materials(
    *,
    session: Session,
    app: Application,
    prep: resolve.Preparation,
    round: int,
    form_values: dict[str, dict[str, Any]],
    at: datetime,
) -> None:
    """Record how each requirement was fulfilled (source, trust, reuse) for this application."""
    for res in prep.requirements:
        details: dict[str, Any] = {}
        if res.kind == "form":
            details["values"] = form_values.get(res.key, {})
        if res.kind == "commitment":
            details = {
                "commitment_text": res.details.get("commitment_text"),
                "replaces_proof": res.details.get("replaces_proof"),
            }
        session.add(
            ApplicationMaterial(
                application_id=app.id,
                requirement_key=res.key,
                round=round,
                kind=res.kind,
                source=res.source or "",
                trust=res.trust or "",
                reused=res.reused,
                license_identifier=res.license_identifier,
                document_id=res.document_id,
                details=details,
                at=at,
            )
        )


def materials_of(*, session: Session, app: Application) -> Sequence[ApplicationMaterial]:
    """How each requirement was fulfilled (both rounds)."""
    return (
        session.execute(
            select(ApplicationMaterial)
            .where(ApplicationMaterial.application_id == app.id)
            .order_by(ApplicationMaterial.id)
        )
        .scalars()
        .all()
    )
