"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Eighteen characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (never I, O, Z, S, V):

====== =========================================================================
1      registration-management authority (登记管理部门码), see :data:`AUTHORITIES`
2      organisation type (机构类别码), valid only with its authority
3–8    area code of the registering authority (GB/T 2260; ``100000`` = national)
9–17   the GB 11714 organisation code (主体标识码), with its own check character
18     check character: weighted MOD 31 (weights ``3**i mod 31``)
====== =========================================================================

Some codes issued during the pilot phase carry an 18th character that fails the MOD 31 check yet are
on real licences. They are accepted only when the caller asks, ``validate(value, allow_legacy=True)``,
and :func:`parse` then sets ``legacy=True`` so callers can flag them.

>>> validate('91110000600037341L')
'91110000600037341L'
>>> parse('11110000000137015K').authority_name
('机构编制', 'institutional establishment')
>>> validate('91110000600O37341L')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidFormat: letter 'O' at position 12 is never used ... (rule: charset)
>>> validate('91110000600037341A')
Traceback (most recent call last):
    ...
identifiers.exceptions.InvalidChecksum: the MOD 31 check character should be 'L', not 'A' (rule: checksum)
>>> parse('91110000600037341A', allow_legacy=True).legacy
True
"""

from __future__ import annotations

from dataclasses import dataclass

from identifiers import orgcode
from identifiers.areas import validate_area
from identifiers.exceptions import (
    IdentifierError,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from identifiers.iso7064 import USCC_ALPHABET, mod_31_check

__all__ = ["AUTHORITIES", "ORGANISATION_TYPES", "CreditCode", "compact", "format", "is_valid", "mask",
           "parse", "validate"]

_FORBIDDEN = "IOZSV"

# GB 32100-2015 table 1 (with its 2018 amendment adding A and N): code → (Chinese name, English name).
AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "institutional establishment"),
    "2": ("外交", "foreign affairs"),
    "3": ("司法行政", "justice"),
    "4": ("文化", "culture"),
    "5": ("民政", "civil affairs"),
    "6": ("旅游", "tourism"),
    "7": ("宗教", "religious affairs"),
    "8": ("工会", "trade unions"),
    "9": ("工商", "industry and commerce"),
    "A": ("中央军委改革和编制办公室", "CMC reform and establishment office"),
    "N": ("农业", "agriculture"),
    "Y": ("其他", "other"),
}

ORGANISATION_TYPES: dict[str, dict[str, tuple[str, str]]] = {
    "1": {
        "1": ("机关", "government organ"),
        "2": ("事业单位", "public institution"),
        "3": ("中央编办直接管理机构编制的群众团体", "mass organisation under the establishment office"),
        "9": ("其他", "other"),
    },
    "2": {"1": ("外国常驻新闻机构", "resident foreign news agency"), "9": ("其他", "other")},
    "3": {
        "1": ("律师执业机构", "law firm"),
        "2": ("公证处", "notary office"),
        "3": ("基层法律服务所", "grassroots legal service office"),
        "4": ("司法鉴定机构", "forensic examination institution"),
        "5": ("仲裁委员会", "arbitration commission"),
        "9": ("其他", "other"),
    },
    "4": {"1": ("外国在华文化中心", "foreign cultural centre in China"), "9": ("其他", "other")},
    "5": {
        "1": ("社会团体", "social organisation"),
        "2": ("民办非企业单位", "private non-enterprise unit"),
        "3": ("基金会", "foundation"),
        "9": ("其他", "other"),
    },
    "6": {
        "1": ("外国旅游部门常驻代表机构", "resident office of a foreign tourism authority"),
        "2": ("港澳台地区旅游部门常驻内地（大陆）代表机构",
              "resident office of a Hong Kong, Macao or Taiwan tourism authority"),
        "9": ("其他", "other"),
    },
    "7": {"1": ("宗教活动场所", "venue for religious activities"), "2": ("宗教院校", "religious college"),
          "9": ("其他", "other")},
    "8": {"1": ("基层工会", "grassroots trade union"), "9": ("其他", "other")},
    "9": {
        "1": ("企业", "enterprise"),
        "2": ("个体工商户", "individual business"),
        "3": ("农民专业合作社", "farmers' specialised cooperative"),
    },
    "A": {"1": ("军队事业单位", "military public institution"), "9": ("其他", "other")},
    "N": {
        "1": ("组级集体经济组织", "group-level collective economic organisation"),
        "2": ("村级集体经济组织", "village-level collective economic organisation"),
        "3": ("乡镇级集体经济组织", "township-level collective economic organisation"),
        "9": ("其他", "other"),
    },
    "Y": {"1": ("其他", "other (no further type)")},
}


@dataclass(frozen=True)
class CreditCode:
    """The parts of a valid credit code; ``legacy`` marks a pilot-era code that fails MOD 31."""

    number: str
    authority: str
    authority_name: tuple[str, str]
    organisation_type: str
    organisation_type_name: tuple[str, str]
    area_code: str
    organisation_code: str
    legacy: bool


def compact(value: str) -> str:
    """Strip spaces and hyphens, uppercase."""
    return "".join(value.split()).replace("-", "").upper()


def _check_structure(code: str) -> None:
    """Every rule except the MOD 31 check."""
    if len(code) != 18:
        raise InvalidLength(f"a credit code has 18 characters, not {len(code)}")
    for position, char in enumerate(code, start=1):
        if char in _FORBIDDEN:
            raise InvalidFormat(
                f"letter {char!r} at position {position} is never used in a credit code "
                "(I, O, Z, S and V are excluded)"
            )
        if char not in USCC_ALPHABET:
            raise InvalidFormat(f"character {char!r} at position {position} is not allowed in a credit code")
    if code[0] not in AUTHORITIES:
        raise InvalidComponent(
            f"{code[0]!r} is not a registration-authority code of GB 32100", rule="registration_authority"
        )
    if code[1] not in ORGANISATION_TYPES[code[0]]:
        raise InvalidComponent(
            f"{code[1]!r} is not an organisation type of registration authority {code[0]!r}",
            rule="organisation_type",
        )
    validate_area(code[2:8], national=True)
    try:
        orgcode.validate(code[8:17])
    except IdentifierError as error:
        detail = f"embedded organisation code: {error.detail}"
        raise InvalidChecksum(detail, rule="organisation_code") from None


def _validate(value: str, allow_legacy: bool) -> tuple[str, bool]:
    code = compact(value)
    _check_structure(code)
    expected = mod_31_check(code[:17])
    if code[17] == expected:
        return code, False
    if allow_legacy:
        return code, True
    raise InvalidChecksum(f"the MOD 31 check character should be {expected!r}, not {code[17]!r}")


def validate(value: str, *, allow_legacy: bool = False) -> str:
    """Return the normalised code, or raise an ``IdentifierError`` naming the rule.

    ``allow_legacy`` accepts a code whose only fault is the MOD 31 check (use :func:`parse` to learn that
    it was one).
    """
    return _validate(value, allow_legacy)[0]


def is_valid(value: str, *, allow_legacy: bool = False) -> bool:
    """True if ``value`` is a valid credit code."""
    try:
        _validate(value, allow_legacy)
    except ValueError:
        return False
    return True


def parse(value: str, *, allow_legacy: bool = False) -> CreditCode:
    """Validate and split into authority, type, area, organisation code and the legacy flag."""
    code, legacy = _validate(value, allow_legacy)
    return CreditCode(
        number=code,
        authority=code[0],
        authority_name=AUTHORITIES[code[0]],
        organisation_type=code[1],
        organisation_type_name=ORGANISATION_TYPES[code[0]][code[1]],
        area_code=code[2:8],
        organisation_code=code[8:17],
        legacy=legacy,
    )


def format(value: str) -> str:
    """The code as printed on a licence: 18 characters, no separators, uppercase."""
    return compact(value)


def mask(value: str) -> str:
    """Keep the first four and the last four characters: ``9111**********341L``."""
    code = compact(value)
    if len(code) <= 8:
        return "*" * len(code)
    return code[:4] + "*" * (len(code) - 8) + code[-4:]
