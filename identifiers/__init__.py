"""Identifier helpers idp and wallet both use: resident ID (GB 11643), credit code (GB 32100),
organisation code (GB 11714), e-license identifier (GB/T 36904) and their check systems.

Each module has ``compact``, ``validate``, ``is_valid``, ``format`` and ``mask``; errors subclass
:class:`IdentifierError` (a ``ValueError``) and name the failed ``rule``. Which kind of party a number
names (a person's resident ID or an organisation's credit code) is decided in one place, :mod:`kinds`:
:func:`classify`, :func:`mask`, :func:`validate_as` and :class:`Kind`.
"""

from identifiers import areas, iso7064, kinds, license_id, orgcode, ric, uscc
from identifiers.exceptions import (
    IdentifierError,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from identifiers.kinds import Kind, classify, mask, validate_as

__all__ = [
    "IdentifierError",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "Kind",
    "areas",
    "classify",
    "iso7064",
    "kinds",
    "license_id",
    "mask",
    "orgcode",
    "ric",
    "uscc",
    "validate_as",
]
