"""Identifier helpers idp and wallet both use: resident ID (GB 11643), credit code (GB 32100),
organisation code (GB 11714), e-license identifier (GB/T 36904) and their check systems.

Each module has ``compact``, ``validate``, ``is_valid``, ``format`` and ``mask``; errors subclass
:class:`IdentifierError` (a ``ValueError``) and name the failed ``rule``.
"""

from identifiers import areas, iso7064, license_id, orgcode, ric, uscc
from identifiers.exceptions import (
    IdentifierError,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)

__all__ = [
    "IdentifierError",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "areas",
    "iso7064",
    "license_id",
    "orgcode",
    "ric",
    "uscc",
]
