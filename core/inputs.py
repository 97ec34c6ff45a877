"""One input contract for numbers typed into forms (issue 15): ASCII digits only, bounded size; and for
dates and times in API bodies: bounded years, times with their UTC offset.

``str.isdigit`` accepts ``"²"`` and other Unicode digits that ``int`` then refuses (a 500) or reads as
something the user never meant; ``"--5".lstrip("-")`` passes it too. Form values go through here instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Header
from pydantic import AfterValidator, AwareDatetime

_INT = re.compile(r"-?[0-9]{1,9}")


def ascii_int(text: str) -> int | None:
    """The integer written in ``text`` (optional minus, 1–9 ASCII digits), or None when it is not one."""
    value = text.strip()
    return int(value) if _INT.fullmatch(value) else None


def ascii_digits(text: str) -> bool:
    """True when ``text`` is non-empty and made of ASCII digits only."""
    return bool(text) and text.isascii() and text.isdigit()


# --- dates and instants in API bodies and queries ---------------------------------------------------------
# Year 0 is refused by the parser; year 9999 parses, then the first "+ 30 days" overflows (a 500). Every date
# the platform takes lies in these bounds, which leave room for any validity or deadline arithmetic.
EARLIEST = date(1000, 1, 1)
LATEST = date(2999, 12, 31)


def in_range(value: date) -> bool:
    """True when ``value`` (a date, or the day of a datetime) is between :data:`EARLIEST` and :data:`LATEST`."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def _day(value: date) -> date:
    if not in_range(value):
        raise ValueError(f"must be a date between {EARLIEST} and {LATEST}")
    return value


def _instant(value: datetime) -> datetime:
    if not in_range(value):
        raise ValueError(f"must be a time between {EARLIEST} and {LATEST}")
    return value


# A calendar day in the platform's range.
Day = Annotated[date, AfterValidator(_day)]
# A moment with its UTC offset (``2026-05-01T09:00:00+08:00``), in the platform's range: a naive time would
# be compared with the aware times in the database (a TypeError) or read in the wrong zone.
Instant = Annotated[AwareDatetime, AfterValidator(_instant)]


# --- the Idempotency-Key request header -------------------------------------------------------------------
# An empty key used to be stored as "" and skipped by the replay check (``if key:``), so a second request
# with an empty key hit the unique index: a 500. A key is 1–200 visible ASCII characters, or absent.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN)
]
