"""The platform's one clock: the current time (timezone-aware UTC) and China's civil date.

Timestamps are stored and compared in UTC (:class:`core.db.UTCDateTime`); dates people read (license
validity, deadlines in working days, the day printed on a page) are civil dates in China. China keeps one
offset all year (UTC+8, no daylight saving since 1991), so the zone is a fixed offset: the same answer on
every host, with or without a tz database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

__all__ = ["CHINA_TZ", "local_date", "utcnow"]

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def local_date(moment: datetime | None = None) -> date:
    """The civil date in China at the aware timestamp ``moment`` (default: now)."""
    return (moment or utcnow()).astimezone(CHINA_TZ).date()
