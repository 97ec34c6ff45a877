"""Which kind of party a number names: a person (resident ID number, GB 11643) or an organisation (unified
social credit code, GB 32100) — the one place that decides it, from validity rather than shape.

An 18-character value is tried as a resident ID first, then as a credit code: all-digit credit codes exist
(``111100000001370319``), so "17 digits and a check character" does not make a resident ID. The values of
:class:`Kind` are the holder kinds stored by the wallet and sent in its API (``"person"``,
``"organization"``).

>>> classify('11010519491231002x')
<Kind.PERSON: 'person'>
>>> classify('91110000600037341L')
<Kind.ORGANIZATION: 'organization'>
>>> classify('111100000001370319')
<Kind.ORGANIZATION: 'organization'>
>>> classify('110105194912310021') is None  # a broken check character is neither
True
>>> mask('11010519491231002X'), mask('91110000600037341L', Kind.ORGANIZATION)
('1101**********002X', '9111**********341L')
>>> validate_as('person', '110105 19491231 002x')
'11010519491231002X'
"""

from __future__ import annotations

from enum import StrEnum

from identifiers import ric, uscc

__all__ = ["Kind", "classify", "mask", "validate_as"]


class Kind(StrEnum):
    """The kind of party a number names (equal to the plain strings ``"person"`` and ``"organization"``)."""

    PERSON = "person"  # resident ID number, GB 11643-1999
    ORGANIZATION = "organization"  # unified social credit code, GB 32100-2015


def classify(number: str, *, allow_legacy: bool = False) -> Kind | None:
    """The kind of party ``number`` names when it is a valid resident ID or credit code, else None.

    ``allow_legacy`` counts pilot-era credit codes that fail only the MOD 31 check (see :mod:`uscc`).
    """
    if ric.is_valid(number):
        return Kind.PERSON
    if uscc.is_valid(number, allow_legacy=allow_legacy):
        return Kind.ORGANIZATION
    return None


def validate_as(kind: Kind | str, number: str, *, allow_legacy: bool = False) -> str:
    """The normalised number of a party of ``kind``, or an ``IdentifierError`` naming the failed rule."""
    if Kind(kind) is Kind.PERSON:
        return ric.validate(number)
    return uscc.validate(number, allow_legacy=allow_legacy)


def mask(number: str, kind: Kind | str | None = None) -> str:
    """The number masked for display: the first four and the last four characters kept.

    ``kind`` (when the caller knows it, e.g. a license's holder kind) picks the rules; otherwise
    :func:`classify` does. A value of neither kind is masked all the same: it is never shown in clear.
    """
    chosen = Kind(kind) if kind is not None else classify(number, allow_legacy=True)
    return uscc.mask(number) if chosen is Kind.ORGANIZATION else ric.mask(number)
