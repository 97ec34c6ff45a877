"""Resident identity card number (公民身份号码), GB 11643-1999.

Eighteen characters: a six-digit area code (GB/T 2260), the birth date ``YYYYMMDD``, a three-digit
sequence whose parity gives the sex (odd = male) and an ISO 7064 MOD 11-2 check character (10 → ``X``).
First-generation cards carried 15 digits (two-digit year, no check): :func:`upgrade_15` converts them.

The number is sensitive personal information: show :func:`mask` everywhere but to the holder.

>>> validate('11010519491231002x')
'11010519491231002X'
>>> validate('110102 19910101 0078')
'110102199101010078'
>>> person = parse('440882198503293017')
>>> person.birth_date, person.sex, person.sequence
(datetime.date(1985, 3, 29), 'male', '301')
>>> validate('110105194912310021')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidChecksum: the check character does not match ... (rule: checksum)
>>> validate('110105194902290028')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidComponent: birth date is 29 February ... not a leap year (rule: birth_date)
>>> upgrade_15('110105491231002')
'11010519491231002X'
>>> mask('11010519491231002X')
'1101**********002X'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from identifiers.areas import validate_area
from identifiers.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from identifiers.iso7064 import mod_11_2_check

__all__ = ["ResidentId", "compact", "format", "is_valid", "mask", "parse", "upgrade_15", "validate"]

_EARLIEST_BIRTH = dt.date(1900, 1, 1)
# Numbers are issued in China: a child born this morning in Beijing exists before midnight UTC.
_CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass(frozen=True)
class ResidentId:
    """The parts of a valid resident ID number."""

    number: str
    area_code: str
    birth_date: dt.date
    sex: str  # "male" | "female"
    sequence: str


def compact(value: str) -> str:
    """Strip spaces and hyphens and uppercase the check character."""
    return "".join(value.split()).replace("-", "").upper()


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else dt.datetime.now(_CHINA).date()


def _birth_date(yyyymmdd: str, today: dt.date | None) -> dt.date:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    try:
        born = dt.date(year, month, day)
    except ValueError:
        if month == 2 and day == 29:
            raise InvalidComponent(
                "birth date is 29 February of a year that is not a leap year", rule="birth_date"
            ) from None
        raise InvalidComponent("birth date is not a real calendar date", rule="birth_date") from None
    if born < _EARLIEST_BIRTH:
        raise InvalidComponent("birth date is before 1900", rule="birth_date")
    if born > _today(today):
        raise InvalidComponent("birth date is in the future", rule="birth_date")
    return born


def _digits(number: str, length: int) -> None:
    if len(number) != length:
        raise InvalidLength(f"a resident ID number has {length} characters, not {len(number)}")


def validate(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised 18-character number, or raise an ``IdentifierError`` naming the rule."""
    number = compact(value)
    _digits(number, 18)
    if not (number[:17].isascii() and number[:17].isdigit()):
        raise InvalidFormat("the first 17 characters must be digits")
    if number[17] not in "0123456789X":
        raise InvalidFormat("the check character must be a digit or X")
    validate_area(number[:6])
    _birth_date(number[6:14], today)
    if mod_11_2_check(number[:17]) != number[17]:
        raise InvalidChecksum("the check character does not match the first 17 digits")
    return number


def is_valid(value: str, *, today: dt.date | None = None) -> bool:
    """True if ``value`` is a valid resident ID number."""
    try:
        validate(value, today=today)
    except ValueError:
        return False
    return True


def parse(value: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate and split into area code, birth date, sex and sequence."""
    number = validate(value, today=today)
    return ResidentId(
        number=number,
        area_code=number[:6],
        birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex="male" if int(number[16]) % 2 else "female",
        sequence=number[14:17],
    )


def upgrade_15(value: str, *, today: dt.date | None = None) -> str:
    """Convert a first-generation 15-digit number (``YYMMDD``, 19xx births) to the 18-character form."""
    old = compact(value)
    _digits(old, 15)
    if not (old.isascii() and old.isdigit()):
        raise InvalidFormat("a first-generation number has only digits")
    body = old[:6] + "19" + old[6:]
    validate_area(body[:6])
    _birth_date(body[6:14], today)
    return body + mod_11_2_check(body)


def format(value: str) -> str:
    """The number as printed on the card: 18 characters, no separators, uppercase ``X``."""
    return compact(value)


def mask(value: str) -> str:
    """Keep the first four and the last four characters: ``1101**********002X``."""
    number = compact(value)
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
