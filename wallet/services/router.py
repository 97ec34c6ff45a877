"""Service catalog HTTP API: guides (public JSON; the page and its QR code are channels/guide.py), items and
calendar (write: role ``admin``)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from core.deps import SessionDep, SettingsDep
from core.inputs import Day
from core.web.i18n import ZH
from wallet.dependencies import AdminCaller
from wallet.services import calendar, guide, service
from wallet.services.schemas import (
    CalendarDayIn,
    CalendarDayOut,
    GuideOut,
    ServiceItemIn,
    ServiceItemSummary,
    WorkingDaysOut,
)

router = APIRouter(tags=["service catalog"])


def _summary(item: service.ServiceItem) -> ServiceItemSummary:
    return ServiceItemSummary(
        code=item.code,
        name=item.name,
        name_en=item.name_en,
        category=item.category,  # type: ignore[arg-type]
        department=item.lead_department,
        time_limit_days=item.time_limit_days,
        same_day=item.same_day,
        channels=item.channels,
    )


@router.get("/api/services", response_model=list[ServiceItemSummary])
def list_items(session: SessionDep, category: str | None = None, department: str | None = None) -> list[ServiceItemSummary]:
    """The service item catalog (事项目录)."""
    return [_summary(i) for i in service.list_items(session=session, category=category, department=department)]


@router.get("/api/services/{code}", response_model=GuideOut)
def get_guide(code: str, session: SessionDep, settings: SettingsDep, lang: str = ZH) -> GuideOut:
    """The service guide (服务指南) of one item."""
    item = service.require_item(session=session, code=code)
    return GuideOut(**guide.guide(session=session, item=item, base_url=settings.issuer, lang=lang))


@router.post("/api/services", response_model=GuideOut, status_code=201)
def create_item(body: ServiceItemIn, session: SessionDep, settings: SettingsDep, caller: AdminCaller) -> GuideOut:
    """Add a service item (admin); vague requirements are refused."""
    item = service.create_item(session=session, spec=body, actor=caller.actor)
    session.commit()
    return GuideOut(**guide.guide(session=session, item=item, base_url=settings.issuer))


@router.put("/api/services/{code}", response_model=GuideOut)
def update_item(code: str, body: ServiceItemIn, session: SessionDep, settings: SettingsDep, caller: AdminCaller) -> GuideOut:
    """Replace a service item's definition (admin)."""
    item = service.update_item(session=session, code=code, spec=body, actor=caller.actor)
    session.commit()
    return GuideOut(**guide.guide(session=session, item=item, base_url=settings.issuer))


@router.get("/api/calendar", response_model=list[CalendarDayOut])
def list_calendar(session: SessionDep, year: int | None = Query(None, ge=1, le=9999)) -> list[CalendarDayOut]:
    """Holidays and adjusted working weekends."""
    return [
        CalendarDayOut(day=r.day, kind=r.kind, name=r.name)  # type: ignore[arg-type]
        for r in calendar.list_days(session=session, year=year)
    ]


@router.put("/api/calendar", response_model=CalendarDayOut)
def set_calendar_day(body: CalendarDayIn, session: SessionDep, caller: AdminCaller) -> CalendarDayOut:
    """Declare a holiday or an adjusted working weekend day (admin)."""
    row = calendar.set_day(session=session, day=body.day, kind=body.kind, name=body.name, actor=caller.actor)
    session.commit()
    return CalendarDayOut(day=row.day, kind=row.kind, name=row.name)  # type: ignore[arg-type]


@router.get("/api/calendar/add", response_model=WorkingDaysOut)
def add_days(session: SessionDep, start: Day, days: int = Query(ge=0, le=calendar.MAX_DAYS)) -> WorkingDaysOut:
    """The date ``days`` working days after ``start``."""
    return WorkingDaysOut(start=start, days=days, end=calendar.add_working_days(session=session, start=start, days=days))
