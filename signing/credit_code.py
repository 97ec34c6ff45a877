"""GB 32100-2015 unified social credit code (统一社会信用代码), stdnum-style.

>>> is_valid('11110000000137015K')
True
>>> is_valid('11110000000137015J')
False
>>> compact(' 9111 0000 6000 3734 1l ')
'91110000600037341L'
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class InvalidFormat(ValueError):
    """Wrong characters."""


class InvalidLength(ValueError):
    """Not 18 characters."""


class InvalidChecksum(ValueError):
    """The check character does not match."""


def compact(number: str) -> str:
    """Remove spaces and dashes, upper-case."""
    return "".join(number.split()).replace("-", "").upper()


def calc_check_digit(number: str) -> str:
    """The 18th character for the first 17."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(number[:17], WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(number: str) -> str:
    """Return the compact code, or raise a ``ValueError`` subclass."""
    number = compact(number)
    if len(number) != 18:
        raise InvalidLength(number)
    if any(c not in ALPHABET for c in number):
        raise InvalidFormat(number)
    if calc_check_digit(number) != number[17]:
        raise InvalidChecksum(number)
    return number


def is_valid(number: str) -> bool:
    """True when ``number`` is a well-formed code with a correct check character."""
    try:
        validate(number)
    except ValueError:
        return False
    return True
