"""Reform dashboard: the figures the reform reports, per item and overall."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wallet.applications.models import OPEN_STATUSES, Application, ApplicationMaterial, Complaint
from wallet.services import calendar
from wallet.services.models import ServiceItem, ServiceRequirement


def _blank() -> dict[str, Any]:
    return {
        "applications": 0,
        "concluded": 0,
        "working_days_total": 0,
        "materials_reused": 0,
        "materials_provided": 0,
        "commitments_used": 0,
        "concluded_without_visit": 0,
        "overdue": 0,
        "proofs_cancelled": 0,
    }


def compute(*, session: Session, now: datetime) -> dict[str, Any]:
    """Per item and overall: applications, average working days vs limit, reuse, commitments, visits."""
    today = calendar.local_date(now)
    per: dict[int, dict[str, Any]] = defaultdict(_blank)
    _count_applications(session, per, today)
    _count_late(session, per)
    _count_materials(session, per)
    _count_cancelled_proofs(session, per)
    items = {i.id: i for i in session.execute(select(ServiceItem)).scalars().all()}
    dropped = _count_dropped(session)
    out_items, overall = _lines_and_totals(per, items)
    summary = {k: v for k, v in overall.items() if k != "working_days_total"}
    summary["average_working_days"] = _average(overall)
    summary["requirements_dropped"] = dropped
    return {"as_of": today, "overall": summary, "items": out_items}


def _lines_and_totals(
    per: dict[int, dict[str, Any]], items: dict[int, ServiceItem]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One line per item, by item code, and the overall sums of every figure."""
    out_items = []
    overall = _blank()
    for item_id, p in sorted(per.items(), key=lambda kv: items[kv[0]].code if kv[0] in items else ""):
        for k in overall:
            overall[k] += p[k]
        out_items.append(_item_figures(items.get(item_id), item_id, p))
    return out_items, overall


def _count_dropped(session: Session) -> int:
    """Requirements dropped from their items (after an upheld unnecessary-proof complaint)."""
    dropped = session.execute(
        select(func.count(ServiceRequirement.id)).where(ServiceRequirement.dropped_at.is_not(None))
    ).scalar_one()
    return int(dropped)


def _average(p: dict[str, Any]) -> float | None:
    return round(p["working_days_total"] / p["concluded"], 2) if p["concluded"] else None


def _item_figures(item: ServiceItem | None, item_id: int, p: dict[str, Any]) -> dict[str, Any]:
    """One item's line of the dashboard."""
    return {
        "code": item.code if item else str(item_id),
        "name": item.name if item else "",
        "time_limit_days": item.time_limit_days if item else None,
        **{k: v for k, v in p.items() if k != "working_days_total"},
        "average_working_days": _average(p),
    }


def _count_applications(session: Session, per: dict[int, dict[str, Any]], today: date) -> None:
    """Applications, concluded ones, their working days, those without a visit, and the open overdue."""
    concluded = Application.concluded_at.is_not(None)
    rows = session.execute(
        select(
            Application.item_id,
            func.count(Application.id),
            func.sum(case((concluded, 1), else_=0)),
            func.sum(case((concluded, func.coalesce(Application.working_days_used, 0)), else_=0)),
            func.sum(case((concluded & Application.counter_visit.is_(False), 1), else_=0)),
            func.sum(
                case((Application.status.in_(OPEN_STATUSES) & (Application.deadline < today), 1), else_=0)
            ),
        ).group_by(Application.item_id)
    ).all()
    for item_id, total, done, days, no_visit, overdue in rows:
        p = per[item_id]
        p.update(
            applications=int(total),
            concluded=int(done or 0),
            working_days_total=int(days or 0),
            concluded_without_visit=int(no_visit or 0),
            overdue=int(overdue or 0),
        )


def _count_late(session: Session, per: dict[int, dict[str, Any]]) -> None:
    """Concluded late counts as overdue too."""
    late = session.execute(
        select(Application.item_id, func.count(Application.id))
        .join(ServiceItem, ServiceItem.id == Application.item_id)
        .where(Application.concluded_at.is_not(None), Application.working_days_used > ServiceItem.time_limit_days)
        .group_by(Application.item_id)
    ).all()
    for item_id, n in late:
        per[item_id]["overdue"] += int(n)


def _count_materials(session: Session, per: dict[int, dict[str, Any]]) -> None:
    """Materials reused, materials provided (uploaded or shown at a counter), commitments signed."""
    mats = session.execute(
        select(
            Application.item_id,
            func.sum(case((ApplicationMaterial.reused.is_(True), 1), else_=0)),
            func.sum(
                case(
                    (
                        ApplicationMaterial.source.in_(("uploaded", "counter"))
                        & ApplicationMaterial.reused.is_(False),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((ApplicationMaterial.kind == "commitment", 1), else_=0)),
        )
        .join(Application, Application.id == ApplicationMaterial.application_id)
        .group_by(Application.item_id)
    ).all()
    for item_id, reused, provided, commitments in mats:
        per[item_id].update(
            materials_reused=int(reused or 0),
            materials_provided=int(provided or 0),
            commitments_used=int(commitments or 0),
        )


def _count_cancelled_proofs(session: Session, per: dict[int, dict[str, Any]]) -> None:
    """A proof counts as cancelled when a complaint got it dropped or turned into a commitment."""
    cancelled = session.execute(
        select(Complaint.item_id, func.count(Complaint.id))
        .where(Complaint.kind == "unnecessary_proof", Complaint.status == "upheld")
        .group_by(Complaint.item_id)
    ).all()
    for item_id, n in cancelled:
        per[item_id]["proofs_cancelled"] = int(n)
