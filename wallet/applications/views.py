"""API views of applications, built from the tables (no personal data beyond what the viewer may see)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.settings import Settings
from wallet.applications import appointments, records
from wallet.applications.conclusion import get_result
from wallet.applications.models import Application, Appointment
from wallet.applications.resolve import Preparation
from wallet.applications.schemas import (
    ApplicationOut,
    AppointmentOut,
    EventOut,
    MaterialOut,
    PrepareOut,
    ResultOut,
)
from wallet.applications.supplement import pending_supplement


def prepare_out(prep: Preparation) -> PrepareOut:
    """The preparation as the applicant sees it."""
    return PrepareOut(
        item=prep.item.code,
        item_name=prep.item.name,
        applicant={
            "kind": prep.applicant.kind,
            "name": prep.applicant.name,
            "acting_role": prep.applicant.acting_role,
        },
        requirements=[r.as_dict() for r in prep.requirements],
        missing=[
            {"key": r.key, "name": r.name, "kind": r.kind, "action": r.action, "reason": r.reason}
            for r in prep.missing
        ],
        holder_number_required=bool(prep.item.issues_license_type) and prep.applicant.number is None,
    )


def appointment_out(booking: Appointment, serial: str | None = None) -> AppointmentOut:
    """A booking as its holder sees it."""
    return AppointmentOut(
        id=booking.id,
        centre=booking.slot.centre.code,
        centre_name=booking.slot.centre.name,
        item=booking.item.code,
        starts_at=booking.slot.starts_at,
        ends_at=booking.slot.ends_at,
        status=booking.status,
        application=serial,
    )


def application_out(
    *, session: Session, settings: Settings, app: Application, with_code: bool = False, base_url: str = ""
) -> ApplicationOut:
    """An application with its materials, timeline, supplement request, result and booking."""
    result = get_result(session=session, app=app)
    booking = appointments.for_application(session=session, app=app)
    result_out = None
    if result is not None:
        result_out = ResultOut(
            outcome=result.outcome,
            sha256=result.pdf_sha256,
            size=result.pdf_size,
            license_identifier=result.license_identifier,
            delivered_at=result.delivered_at,
            pdf_url=f"{base_url.rstrip('/')}/api/applications/{app.serial}/result.pdf",
        )
    form: dict[str, Any] = app.form_data
    return ApplicationOut(
        serial=app.serial,
        query_code=records.query_code(app, settings=settings) if with_code else None,
        item=app.item.code,
        item_name=app.item.name,
        status=app.status,
        channel=app.channel,
        acting_role=app.acting_role,
        applicant_name=app.applicant_name,
        applicant_number_masked=app.applicant_number_masked,
        green_channel=app.green_channel,
        submitted_at=app.submitted_at,
        accepted_at=app.accepted_at,
        deadline=app.deadline,
        concluded_at=app.concluded_at,
        working_days_used=app.working_days_used,
        form=form,
        materials=[
            MaterialOut(
                requirement=m.requirement_key,
                round=m.round,
                kind=m.kind,
                source=m.source,
                trust=m.trust,
                reused=m.reused,
                license_identifier=m.license_identifier,
                document_id=m.document_id,
            )
            for m in records.materials_of(session=session, app=app)
        ],
        timeline=[
            EventOut(at=e.at, action=e.action, role=e.role, department=e.department_code, note=e.note)
            for e in records.timeline(session=session, app=app)
        ],
        supplement_requested=pending_supplement(session=session, app=app),
        result=result_out,
        appointment=appointment_out(booking, app.serial) if booking is not None else None,
    )
