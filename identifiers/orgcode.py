"""Organisation code (组织机构代码), GB 11714-1997.

Eight body characters (digits and uppercase letters, ``A`` = 10 … ``Z`` = 35) and a check character:
weights 3, 7, 9, 10, 5, 8, 4, 2; check = ``11 - sum mod 11`` with 10 → ``X`` and 11 → ``0``. It is
embedded in the unified social credit code at positions 9–17. Usually printed ``XXXXXXXX-X``.

>>> validate('60003734-1')
'600037341'
>>> format('000137015')
'00013701-5'
>>> validate('600037342')
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidChecksum: the check character should be '1', not '2' (rule: checksum)
"""

from __future__ import annotations

from identifiers.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from identifiers.iso7064 import ALNUM

__all__ = ["calc_check", "compact", "format", "is_valid", "mask", "validate"]

_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_VALUE = {c: i for i, c in enumerate(ALNUM)}


def compact(value: str) -> str:
    """Strip spaces and hyphens, uppercase."""
    return "".join(value.split()).replace("-", "").upper()


def calc_check(body: str) -> str:
    """Check character of the eight body characters."""
    check = (11 - sum(_VALUE[c] * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11) % 11
    return "X" if check == 10 else str(check)


def validate(value: str) -> str:
    """Return the normalised nine-character code, or raise an ``IdentifierError`` naming the rule."""
    code = compact(value)
    if len(code) != 9:
        raise InvalidLength(f"an organisation code has 9 characters, not {len(code)}")
    for position, char in enumerate(code[:8], start=1):
        if char not in _VALUE:
            raise InvalidFormat(f"character {char!r} at position {position} is not a digit or letter A-Z")
    if code[8] not in "0123456789X":
        raise InvalidFormat("the check character must be a digit or X")
    expected = calc_check(code[:8])
    if code[8] != expected:
        raise InvalidChecksum(f"the check character should be {expected!r}, not {code[8]!r}")
    return code


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid organisation code."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: str) -> str:
    """The conventional printed form ``XXXXXXXX-X``."""
    code = compact(value)
    return f"{code[:8]}-{code[8:]}"


def mask(value: str) -> str:
    """Keep the first two and the last two characters (codes are public; this only shortens)."""
    code = compact(value)
    return code[:2] + "*" * max(len(code) - 4, 0) + code[-2:] if len(code) > 4 else "*" * len(code)
