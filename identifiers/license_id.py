"""Electronic license identifier (电子证照标识), GB/T 36904.

Layout, dot separated, all upper case::

    1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>

=============== ========================================================================================
root            ``1.2.156.3005.2`` — the fixed OID arc of e-licenses
type code       1–32 characters ``0-9A-Z``: the license type (证照类型代码) from the catalogue
issuer code     the issuing department's unified social credit code (18 characters, fully valid —
                legacy pilot-era codes are not accepted here)
serial          1–32 characters ``0-9A-Z``, unique per type and issuer
version         1–4 digits
check           one character ``0-9A-Z``: ISO 7064 MOD 37,36 (hybrid system) computed over the
                concatenation ``type code + issuer code + serial + version`` (the dots and the root are
                *not* part of it)
=============== ========================================================================================

Our exact choice: the check covers the alphanumeric payload only. The dots cannot move (each part has its
own charset and the part count is fixed), so every single-character change is still caught: inside the
payload by MOD 37,36 (a hybrid system detects all single substitutions), in the root or a separator by
the structure rules, in the issuer code additionally by GB 32100. :func:`compact` strips surrounding white
space and uppercases, so a change of letter case is not a different identifier; white space inside the
identifier is rejected rather than removed (a removed character is a deletion, which no single check
character is guaranteed to catch in variable-length parts).

>>> make('A001', '11110000000137015K', '2026000001', 1)
'1.2.156.3005.2.A001.11110000000137015K.2026000001.1.Z'
>>> parse('1.2.156.3005.2.A001.11110000000137015K.2026000001.1.Z').serial
'2026000001'
>>> validate('1.2.156.3005.2.A001.11110000000137015K.2026000002.1.Z')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidChecksum: the MOD 37,36 check character should be 'X', ... (rule: checksum)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from identifiers import uscc
from identifiers.exceptions import IdentifierError, InvalidChecksum, InvalidComponent, InvalidFormat
from identifiers.iso7064 import mod_37_36_check

__all__ = ["ROOT", "LicenseId", "compact", "format", "is_valid", "make", "mask", "parse", "validate"]

ROOT = "1.2.156.3005.2"
_ALNUM_32 = re.compile(r"[0-9A-Z]{1,32}")
_VERSION = re.compile(r"[0-9]{1,4}")
_CHECK = re.compile(r"[0-9A-Z]")


@dataclass(frozen=True)
class LicenseId:
    """The parts of a valid e-license identifier."""

    identifier: str
    type_code: str
    issuer_code: str
    serial: str
    version: str
    check: str


def compact(value: str) -> str:
    """Strip surrounding white space and uppercase.

    White space inside is an error, not noise: the parts have variable length, so silently dropping a
    character could turn one identifier into another with the same check.
    """
    return value.strip().upper()


def _check_parts(type_code: str, issuer_code: str, serial: str, version: str) -> None:
    if not _ALNUM_32.fullmatch(type_code):
        raise InvalidFormat("the type code must be 1-32 characters 0-9A-Z", rule="type_code")
    if len(issuer_code) != 18:
        raise InvalidComponent("the issuer code must be an 18-character credit code", rule="issuer_code")
    try:
        uscc.validate(issuer_code)
    except IdentifierError as error:
        raise InvalidComponent(f"issuer credit code: {error}", rule="issuer_code") from None
    if not _ALNUM_32.fullmatch(serial):
        raise InvalidFormat("the serial must be 1-32 characters 0-9A-Z", rule="serial")
    if not _VERSION.fullmatch(version):
        raise InvalidFormat("the version must be 1-4 digits", rule="version")


def make(type_code: str, issuer_code: str, serial: str, version: int | str) -> str:
    """Build the identifier and its check character; raises if a part is invalid."""
    parts = [compact(type_code), compact(issuer_code), compact(serial), compact(str(version))]
    _check_parts(*parts)
    return ".".join([ROOT, *parts, mod_37_36_check("".join(parts))])


def _split(value: str) -> tuple[str, list[str]]:
    identifier = compact(value)
    if not identifier.startswith(ROOT + "."):
        raise InvalidFormat(f"an e-license identifier starts with {ROOT}.", rule="root")
    parts = identifier[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise InvalidFormat(
            f"after the root come 5 parts (type, issuer, serial, version, check), not {len(parts)}",
            rule="structure",
        )
    _check_parts(*parts[:4])
    if not _CHECK.fullmatch(parts[4]):
        raise InvalidFormat("the check part must be one character 0-9A-Z", rule="charset")
    expected = mod_37_36_check("".join(parts[:4]))
    if parts[4] != expected:
        raise InvalidChecksum(f"the MOD 37,36 check character should be {expected!r}, not {parts[4]!r}")
    return identifier, parts


def validate(value: str) -> str:
    """Return the normalised identifier, or raise an ``IdentifierError`` naming the rule."""
    return _split(value)[0]


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid e-license identifier."""
    try:
        _split(value)
    except ValueError:
        return False
    return True


def parse(value: str) -> LicenseId:
    """Validate and split into type code, issuer code, serial, version and check."""
    identifier, (type_code, issuer_code, serial, version, check) = _split(value)
    return LicenseId(identifier, type_code, issuer_code, serial, version, check)


def format(value: str) -> str:
    """The identifier in its canonical (compact, uppercase) form."""
    return compact(value)


def mask(value: str) -> str:
    """Hide the serial but its last two characters; the rest names a type and a public issuer."""
    identifier = compact(value)
    head, sep, tail = identifier.partition(ROOT + ".")
    parts = tail.split(".")
    if head or not sep or len(parts) != 5:
        return "*" * len(identifier)
    serial = parts[2]
    parts[2] = "*" * max(len(serial) - 2, 1) + serial[-2:] if len(serial) > 2 else "*" * len(serial)
    return ROOT + "." + ".".join(parts)
