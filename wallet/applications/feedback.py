"""好差评 and complaints: one rating per application, bad-rating follow-ups, unnecessary-proof complaints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import worklog
from core.clock import utcnow
from wallet.applications.exceptions import AlreadyRated, InvalidApplication, InvalidState, UnknownRequirement
from wallet.applications.models import Application, Complaint, Rating
from wallet.dependencies import Caller
from wallet.errors import NotFound, refuse_id_number
from wallet.services import service as catalog
from wallet.services.models import ServiceItem

BAD_SCORE = 2
COMPLAINT_KINDS = ("service", "unnecessary_proof")
COMPLAINT_STATUSES = ("open", "in_progress", "upheld", "dismissed")


def get_rating(*, session: Session, app: Application) -> Rating | None:
    """The application's rating, or None."""
    return session.execute(select(Rating).where(Rating.application_id == app.id)).scalar_one_or_none()


def rate(
    *,
    session: Session,
    caller: Caller,
    app: Application,
    score: int,
    comment: str = "",
    now: datetime | None = None,
) -> Rating:
    """Rate a concluded application once (1–5); a bad rating (≤ 2) opens a follow-up. Flushes."""
    now = now or utcnow()
    if app.is_open:
        raise InvalidState("an application is rated once it is concluded", field="serial")
    if not 1 <= score <= 5:
        raise InvalidApplication(
            "score is 1 (very bad) to 5 (very good)", field="score", code="invalid_score"
        )
    if get_rating(session=session, app=app) is not None:
        raise AlreadyRated(f"application {app.serial} is already rated", field="serial")
    rating = Rating(
        application_id=app.id, score=score, comment=comment.strip()[:2000], rated_by=caller.actor, at=now
    )
    session.add(rating)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent rating won
        session.rollback()
        raise AlreadyRated(f"application {app.serial} is already rated", field="serial") from exc
    worklog.append(
        session=session,
        actor=caller.actor,
        action="wallet.application.rate",
        object=f"application:{app.serial}",
        details={"score": score},
    )
    if score <= BAD_SCORE:
        _open_follow_up(session=session, app=app, rating=rating, score=score, now=now)
    return rating


def _open_follow_up(*, session: Session, app: Application, rating: Rating, score: int, now: datetime) -> None:
    """A bad rating's follow-up (差评回访): a complaint the system opens, and its work-log entry."""
    session.add(
        Complaint(
            kind="rating_follow_up",
            item_id=app.item_id,
            application_id=app.id,
            complainant_index=app.applicant_index,
            filed_by="system",
            text=f"差评回访（{score} 分）：{rating.comment}",
            status="open",
            created_at=now,
        )
    )
    session.flush()
    worklog.append(
        session=session,
        actor="system",
        action="wallet.complaint.open",
        object=f"application:{app.serial}",
        details={"kind": "rating_follow_up", "score": score},
    )


def file(
    *,
    session: Session,
    caller: Caller,
    item: ServiceItem,
    text: str,
    kind: str = "service",
    app: Application | None = None,
    requirement: str | None = None,
    now: datetime | None = None,
) -> Complaint:
    """File a complaint; an unnecessary-proof complaint names one requirement of the item. Flushes."""
    if kind not in COMPLAINT_KINDS:
        raise InvalidApplication(f"kind is one of {COMPLAINT_KINDS}", field="kind", code="invalid_complaint")
    if not text.strip():
        raise InvalidApplication("say what went wrong", field="text", code="invalid_complaint")
    refuse_id_number(text, field="text")
    if kind == "unnecessary_proof":
        req = catalog.get_requirement(item=item, key=requirement or "")
        if req is None:
            raise UnknownRequirement(f"{item.name} has no requirement {requirement!r}", field="requirement")
        if req.kind in ("form", "commitment"):
            raise InvalidApplication(f"{req.name} is not a proof", field="requirement", code="not_a_proof")
    complaint = Complaint(
        kind=kind,
        item_id=item.id,
        application_id=app.id if app else None,
        requirement_key=requirement if kind == "unnecessary_proof" else None,
        complainant_index=caller.hid,
        filed_by=caller.actor,
        text=text.strip()[:4000],
        status="open",
        created_at=now or utcnow(),
    )
    session.add(complaint)
    session.flush()
    worklog.append(
        session=session,
        actor=caller.actor,
        action="wallet.complaint.file",
        object=f"complaint:{complaint.id}",
        details={"kind": kind, "item": item.code, "requirement": complaint.requirement_key},
    )
    return complaint


def get(*, session: Session, complaint_id: int) -> Complaint:
    """The complaint, or :class:`NotFound`."""
    row = session.get(Complaint, complaint_id)
    if row is None:
        raise NotFound("no such complaint", field="complaint_id", code="complaint_not_found")
    return row


def list_complaints(
    *, session: Session, holder_indexes: frozenset[str] | None = None, status: str | None = None
) -> Sequence[Complaint]:
    """Complaints, newest first: all (for administrators) or those of these holders."""
    stmt = select(Complaint).order_by(Complaint.id.desc())
    if holder_indexes is not None:
        stmt = stmt.where(Complaint.complainant_index.in_(sorted(holder_indexes)))
    if status:
        stmt = stmt.where(Complaint.status == status)
    return session.execute(stmt).scalars().all()


def handle(
    *,
    session: Session,
    caller: Caller,
    complaint: Complaint,
    status: str,
    resolution: str = "",
    action: str | None = None,
    commitment_text: str = "",
    liability: str = "",
    post_check: str = "",
    now: datetime | None = None,
) -> Complaint:
    """Move a complaint on; an upheld unnecessary proof is dropped or made a commitment."""
    now = now or utcnow()
    _check_move(complaint=complaint, status=status)
    if status == "upheld" and complaint.kind == "unnecessary_proof":
        _cancel_proof(
            session=session,
            caller=caller,
            complaint=complaint,
            resolution=resolution,
            action=action,
            commitment_text=commitment_text,
            liability=liability,
            post_check=post_check,
            now=now,
        )
        complaint.action = action
    complaint.status, complaint.resolution, complaint.handled_by = (
        status,
        resolution.strip()[:4000],
        caller.actor,
    )
    if status in ("upheld", "dismissed"):
        complaint.resolved_at = now
    session.flush()
    worklog.append(
        session=session,
        actor=caller.actor,
        action="wallet.complaint.handle",
        object=f"complaint:{complaint.id}",
        details={"status": status, "action": complaint.action},
    )
    return complaint


def _check_move(*, complaint: Complaint, status: str) -> None:
    """The new status is one a handler sets, and the complaint is not already closed."""
    if status not in COMPLAINT_STATUSES or status == "open":
        raise InvalidApplication(
            "status is in_progress, upheld or dismissed", field="status", code="invalid_status"
        )
    if complaint.status in ("upheld", "dismissed"):
        raise InvalidState(f"complaint {complaint.id} is already {complaint.status}", field="complaint_id")


def _cancel_proof(
    *,
    session: Session,
    caller: Caller,
    complaint: Complaint,
    resolution: str,
    action: str | None,
    commitment_text: str,
    liability: str,
    post_check: str,
    now: datetime,
) -> None:
    """An upheld unnecessary-proof complaint: the proof is dropped from the item or made a commitment."""
    key = complaint.requirement_key or ""
    if action == "drop":
        catalog.drop_requirement(
            session=session,
            item=complaint.item,
            key=key,
            reason=f"complaint {complaint.id}: {resolution}",
            actor=caller.actor,
            now=now,
        )
    elif action == "commitment":
        catalog.convert_to_commitment(
            session=session,
            item=complaint.item,
            key=key,
            commitment_text=commitment_text,
            liability=liability,
            post_check=post_check,
            actor=caller.actor,
        )
    else:
        raise InvalidApplication(
            "an upheld unnecessary-proof complaint drops the proof or turns it into a commitment",
            field="action",
            code="action_required",
        )
