"""``onenumber id check VALUE [--legacy]``: tell what kind of identifier a value is and whether it is valid.

Prints kind, normalised value, masked form and the parsed parts; on an invalid value prints the failed
rule to stderr and exits 1.
"""

from __future__ import annotations

import argparse
import sys

from identifiers import license_id, orgcode, ric, uscc
from identifiers.areas import province_name
from identifiers.exceptions import IdentifierError

__all__ = ["check", "register"]

_SEX_ZH = {"male": "男", "female": "女"}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``id check`` to the ``onenumber`` command line."""
    id_parser = subparsers.add_parser("id", help="identifier helpers (resident ID, credit code, license id)")
    id_sub = id_parser.add_subparsers(dest="id_command", required=True)
    check_parser = id_sub.add_parser("check", help="validate an identifier and show its parts")
    check_parser.add_argument("value", help="resident ID, credit code, organisation code or e-license id")
    check_parser.add_argument(
        "--legacy", action="store_true", help="accept pilot-era credit codes that fail the MOD 31 check"
    )
    check_parser.set_defaults(func=check)


def _area(code: str) -> str:
    zh, en = province_name(code)
    return f"{code} ({zh}, {en})"


def _resident(value: str, *, upgraded: bool = False) -> list[tuple[str, str]]:
    person = ric.parse(value)
    lines = [("kind", "resident ID number (GB 11643-1999)")]
    if upgraded:
        lines = [("kind", "first-generation resident ID number (15 digits), upgraded to 18 characters")]
    return lines + [
        ("normalised", person.number),
        ("masked", ric.mask(person.number)),
        ("area", _area(person.area_code)),
        ("birth date", person.birth_date.isoformat()),
        ("sex", f"{person.sex} ({_SEX_ZH[person.sex]})"),
        ("sequence", person.sequence),
    ]


def _credit(value: str, legacy: bool) -> list[tuple[str, str]]:
    code = uscc.parse(value, allow_legacy=legacy)
    return [
        ("kind", "unified social credit code (GB 32100-2015)"),
        ("normalised", code.number),
        ("masked", uscc.mask(code.number)),
        ("authority", f"{code.authority} {code.authority_name[0]} ({code.authority_name[1]})"),
        ("type", f"{code.organisation_type} {code.organisation_type_name[0]} "
                 f"({code.organisation_type_name[1]})"),
        ("area", _area(code.area_code)),
        ("organisation code", orgcode.format(code.organisation_code)),
        ("legacy", "yes — fails the MOD 31 check, accepted as a pilot-era code" if code.legacy else "no"),
    ]


def _license(value: str) -> list[tuple[str, str]]:
    lic = license_id.parse(value)
    issuer = uscc.parse(lic.issuer_code)
    return [
        ("kind", "e-license identifier (GB/T 36904)"),
        ("normalised", lic.identifier),
        ("masked", license_id.mask(lic.identifier)),
        ("type code", lic.type_code),
        ("issuer", f"{lic.issuer_code} ({issuer.authority_name[0]}/{issuer.organisation_type_name[0]}, "
                   f"{issuer.authority_name[1]}/{issuer.organisation_type_name[1]})"),
        ("serial", lic.serial),
        ("version", lic.version),
        ("check", lic.check),
    ]


def _organisation(value: str) -> list[tuple[str, str]]:
    code = orgcode.validate(value)
    return [
        ("kind", "organisation code (GB 11714-1997)"),
        ("normalised", code),
        ("masked", orgcode.mask(code)),
        ("printed", orgcode.format(code)),
    ]


_KIND_NAMES = {
    "license": "e-license identifier",
    "ric15": "first-generation resident ID number",
    "ric": "resident ID number",
    "uscc": "credit code",
    "orgcode": "organisation code",
}


def _detect(value: str) -> str | None:
    """Which kind of identifier the value looks like, from its shape alone."""
    if license_id.compact(value).startswith(license_id.ROOT):
        return "license"
    compacted = "".join(value.split()).replace("-", "").upper()
    digits17 = compacted[:17].isascii() and compacted[:17].isdigit()
    if len(compacted) == 15 and digits17:
        return "ric15"
    if len(compacted) == 18:
        return "ric" if digits17 and compacted[17] in "0123456789X" else "uscc"
    if len(compacted) == 9:
        return "orgcode"
    return None


def _describe(kind: str, value: str, legacy: bool) -> list[tuple[str, str]]:
    if kind == "license":
        return _license(value)
    if kind == "ric15":
        return _resident(ric.upgrade_15(value), upgraded=True)
    if kind == "ric":
        return _resident(value)
    if kind == "uscc":
        return _credit(value, legacy)
    return _organisation(value)


def check(args: argparse.Namespace) -> int:
    """Handler of ``onenumber id check``; returns the exit status."""
    value: str = args.value
    legacy: bool = args.legacy
    kind = _detect(value)
    if kind is None:
        print(
            "invalid identifier: rule length: cannot tell the kind from its length (18: resident ID or "
            "credit code, 15: first-generation resident ID, 9: organisation code, or an e-license identifier "
            f"starting with {license_id.ROOT})",
            file=sys.stderr,
        )
        return 1
    # 18 digits is usually a resident ID, but all-digit credit codes exist (111100000001370319).
    if kind == "ric" and not ric.is_valid(value) and uscc.is_valid(value, allow_legacy=legacy):
        kind = "uscc"
    try:
        lines = _describe(kind, value, legacy)
    except IdentifierError as error:
        hint = ""
        if kind == "uscc" and not legacy and uscc.is_valid(value, allow_legacy=True):
            hint = " (a pilot-era code? --legacy accepts it, marked legacy)"
        print(f"invalid {_KIND_NAMES[kind]}: rule {error.rule}: {error.detail}{hint}", file=sys.stderr)
        return 1
    width = max(len(key) for key, _ in lines)
    for key, text in lines:
        print(f"{key + ':':<{width + 1}} {text}")
    return 0
