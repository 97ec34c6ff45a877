"""Who may see an application: its applicant (or whoever acts for them), the departments it is routed to
and counter clerks. Anyone else gets the same not-found as for a serial number that does not exist."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wallet.applications.exceptions import ApplicationNotFound, NotStaff
from wallet.applications.models import Application
from wallet.dependencies import DELEGATION_READ, Caller
from wallet.errors import Forbidden


def get_by_serial(*, session: Session, serial: str) -> Application | None:
    """The application with this serial number, or None."""
    return session.execute(
        select(Application).where(Application.serial == serial.strip())
    ).scalar_one_or_none()


def require_for_applicant(
    *, session: Session, serial: str, caller: Caller, action: str = DELEGATION_READ
) -> Application:
    """The application if the caller applied for it or is (or acts for) the applicant; else not found.

    ``action`` beyond reading (:data:`DELEGATION_APPLY`: a supplement, a booking or its cancellation, a rating,
    a complaint) needs the applicant to be the caller or a delegation of theirs that covers it: an agent with
    only ``wallet:read`` may look at the company's application, not change it (and an agent's delegation
    that ended leaves them nothing but what they submitted to read)."""
    app = get_by_serial(session=session, serial=serial)
    if app is None or not (app.applicant_index in caller.holder_indexes() or app.submitter_sub == caller.sub):
        raise ApplicationNotFound()
    if action != DELEGATION_READ and app.applicant_index not in caller.holder_indexes(action):
        raise Forbidden(f"your delegation does not cover changing this application ({action})", field="act_for",
                        code="delegation_insufficient")
    return app


def require_for_counter(*, session: Session, serial: str, caller: Caller) -> Application:
    """The application for a counter clerk of any service centre (同城通办)."""
    if not caller.is_person or "counter" not in caller.roles:
        raise NotStaff("this needs the counter role")
    app = get_by_serial(session=session, serial=serial)
    if app is None:
        raise ApplicationNotFound()
    return app


def require_visible(*, session: Session, serial: str, caller: Caller) -> Application:
    """The application for its applicant, the departments it is routed to, or any counter clerk."""
    app = get_by_serial(session=session, serial=serial)
    if app is not None and caller.is_person:
        staff = caller.staff_departments("clerk", "approver")
        if "counter" in caller.roles or any(t.department_code in staff for t in app.tasks):
            return app
    return require_for_applicant(session=session, serial=serial, caller=caller)


def list_mine(*, session: Session, caller: Caller, limit: int = 100) -> Sequence[Application]:
    """Applications made by the caller or for a holder they are (or act for), newest first."""
    stmt = select(Application).where(
        or_(
            Application.applicant_index.in_(sorted(caller.holder_indexes())),
            Application.submitter_sub == caller.sub,
        )
    )
    return session.execute(stmt.order_by(Application.id.desc()).limit(limit)).scalars().all()
