"""Check-character systems used by the Chinese identifiers.

- ISO/IEC 7064 MOD 11-2 (pure system, radix 2): the resident ID check (GB 11643-1999), 10 → ``X``.
- ISO/IEC 7064 MOD 37,36 (hybrid system over ``0-9A-Z``): the e-license identifier check (GB/T 36904).
- The weighted MOD 31 of GB 32100-2015 (credit code). It is not an ISO 7064 system but lives here with
  its relatives: weights ``3**i mod 31``, check = ``(31 - sum mod 31) mod 31`` over the 31-character
  alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY``.

Every ``*_check`` takes the body (without the check character) and returns the check character; every
``*_is_valid`` takes body + check. They expect already-normalised input (uppercase, right alphabet) and
return False / raise nothing for characters outside the alphabet.

>>> mod_11_2_check('11010519491231002')
'X'
>>> mod_11_2_is_valid('11010519491231002X')
True
>>> mod_37_36_check('A12425GABC1234002')
'M'
>>> mod_31_check('91110000600037341')
'L'
"""

from __future__ import annotations

__all__ = [
    "ALNUM",
    "USCC_ALPHABET",
    "mod_11_2_check",
    "mod_11_2_is_valid",
    "mod_31_check",
    "mod_31_is_valid",
    "mod_37_36_check",
    "mod_37_36_is_valid",
]

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

_ALNUM_VALUE = {c: i for i, c in enumerate(ALNUM)}
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_MOD_31_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, …, 28


def mod_11_2_check(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of a string of digits (``0``-``9`` or ``X``)."""
    p = 0
    for char in body:
        p = ((p + int(char)) * 2) % 11
    check = (12 - p) % 11
    return "X" if check == 10 else str(check)


def mod_11_2_is_valid(value: str) -> bool:
    """True if the last character is the MOD 11-2 check of the digits before it."""
    if len(value) < 2 or not value[:-1].isdigit() or not value[:-1].isascii():
        return False
    return mod_11_2_check(value[:-1]) == value[-1]


def _mod_37_36_residue(value: str) -> int:
    # ISO 7064 §7 hybrid system, M = 36: P1 = M; S_j = (P_j + a_j) mod M; P_j+1 = (S_j || M) * 2 mod (M + 1).
    s = 18  # (18 * 2) mod 37 == 36 == M, the start value P1
    for char in value:
        p = ((s or 36) * 2) % 37
        s = (p + _ALNUM_VALUE[char]) % 36
    return s


def mod_37_36_check(body: str) -> str:
    """ISO 7064 MOD 37,36 check character of a string over ``0-9A-Z``."""
    p = ((_mod_37_36_residue(body) or 36) * 2) % 37
    return ALNUM[(1 - p) % 36]


def mod_37_36_is_valid(value: str) -> bool:
    """True if the last character is the MOD 37,36 check of the rest."""
    if len(value) < 2 or any(c not in _ALNUM_VALUE for c in value):
        return False
    return _mod_37_36_residue(value) == 1


def mod_31_check(body: str) -> str:
    """GB 32100 MOD 31 check character of the first 17 credit-code characters."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body, _MOD_31_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def mod_31_is_valid(value: str) -> bool:
    """True if the 18th character is the MOD 31 check of the first 17."""
    if len(value) != 18 or any(c not in _USCC_VALUE for c in value):
        return False
    return mod_31_check(value[:17]) == value[17]
