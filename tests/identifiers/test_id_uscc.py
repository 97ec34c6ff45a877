"""Unified social credit codes (GB 32100-2015): every rule, the embedded organisation code, legacy codes."""

from __future__ import annotations

import pytest

from identifiers import (
    IdentifierError,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    uscc,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOD31_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # as printed in GB 32100
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714

DEMO = [  # docs/CONTRACTS.md demo data
    "91110000600037341L",
    "11110000000137015K",
    "11110000000137023E",
    "111100000001370319",
    "11110000000245016J",
]


def mod31(body17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(body17, MOD31_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check(body8: str) -> str:
    check = (11 - sum(int(c, 36) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11) % 11
    return "X" if check == 10 else str(check)


def build(authority_type: str, area: str, org_body: str, org_check_char: str | None = None) -> str:
    body = authority_type + area + org_body + (org_check_char or org_check(org_body))
    return body + mod31(body)


def assert_rule(value: str, error: type[IdentifierError], rule: str, **kwargs: bool) -> IdentifierError:
    with pytest.raises(error) as info:
        uscc.validate(value, **kwargs)
    assert info.value.rule == rule
    assert f"(rule: {rule})" in str(info.value)
    assert not uscc.is_valid(value, **kwargs)
    return info.value


@pytest.mark.parametrize("code", [*DEMO, "91350100M000100Y43"])
def test_demo_and_published_codes_are_valid(code: str) -> None:
    assert uscc.validate(code) == code
    assert uscc.is_valid(code.lower())
    assert uscc.validate(code.lower()) == code
    assert not uscc.parse(code).legacy
    assert mod31(code[:17]) == code[17]  # the independent computation agrees


def test_the_demo_organisation_parses() -> None:
    org = uscc.parse("91110000600037341L")
    assert org == uscc.CreditCode(
        number="91110000600037341L", authority="9", authority_name=("工商", "industry and commerce"),
        organisation_type="1", organisation_type_name=("企业", "enterprise"), area_code="110000",
        organisation_code="600037341", legacy=False,
    )


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters_are_named(letter: str) -> None:
    code = "91110000600037341L"
    for position in (5, 11, 17):  # area, organisation code, check character
        bad = code[: position - 1] + letter + code[position:]
        error = assert_rule(bad, InvalidFormat, "charset")
        assert f"{letter!r} at position {position}" in str(error)
        error = assert_rule(bad.lower(), InvalidFormat, "charset")
        assert repr(letter) in str(error)


def test_other_characters_fail_charset() -> None:
    assert_rule("9111000060003734#L", InvalidFormat, "charset")
    assert_rule("9111000060003734１L", InvalidFormat, "charset")


@pytest.mark.parametrize("value", ["", "91110000600037341", "91110000600037341LL", "600037341"])
def test_wrong_length(value: str) -> None:
    assert_rule(value, InvalidLength, "length")


@pytest.mark.parametrize("authority", ["0", "B", "C", "M", "X"])
def test_unknown_registration_authority(authority: str) -> None:
    assert_rule(build(authority + "1", "110000", "60003734"), InvalidComponent, "registration_authority")


@pytest.mark.parametrize(
    ("pair", "valid"),
    [("91", True), ("92", True), ("93", True), ("94", False), ("99", False), ("9A", False),
     ("11", True), ("13", True), ("19", True), ("14", False), ("35", True), ("36", False),
     ("53", True), ("54", False), ("A1", True), ("A2", False), ("N3", True), ("N4", False),
     ("Y1", True), ("Y2", False), ("Y9", False), ("81", True), ("82", False)],
)
def test_organisation_type_must_belong_to_its_authority(pair: str, valid: bool) -> None:
    code = build(pair, "110000", "60003734")
    if valid:
        assert uscc.is_valid(code)
    else:
        assert_rule(code, InvalidComponent, "organisation_type")


@pytest.mark.parametrize("area", ["990000", "000000", "720000", "1A0000"])
def test_bad_area(area: str) -> None:
    assert_rule(build("91", area, "60003734"), InvalidComponent, "area")


def test_national_area_is_allowed_for_credit_codes() -> None:
    assert uscc.parse(build("11", "100000", "00001312")).area_code == "100000"


def test_wrong_embedded_organisation_code() -> None:
    # Correct MOD 31 over a body whose organisation-code check is wrong: only that rule fails.
    bad = build("91", "110000", "60003734", org_check_char="2")
    error = assert_rule(bad, InvalidChecksum, "organisation_code")
    assert "organisation code" in str(error)
    assert_rule(bad, InvalidChecksum, "organisation_code", allow_legacy=True)  # legacy does not rescue it


def test_wrong_mod31_check_and_the_legacy_option() -> None:
    pilot = "91110000600037341A"  # every rule holds but the MOD 31 check
    error = assert_rule(pilot, InvalidChecksum, "checksum")
    assert "'L'" in str(error)
    assert uscc.validate(pilot, allow_legacy=True) == pilot
    assert uscc.is_valid(pilot, allow_legacy=True)
    assert uscc.parse(pilot, allow_legacy=True).legacy is True
    assert uscc.parse("91110000600037341L", allow_legacy=True).legacy is False
    with pytest.raises(InvalidChecksum):
        uscc.parse(pilot)


def test_legacy_does_not_relax_other_rules() -> None:
    assert_rule("91110000600I37341A", InvalidFormat, "charset", allow_legacy=True)
    assert_rule("94110000600037341A", InvalidComponent, "organisation_type", allow_legacy=True)
    assert_rule("9111000060003734", InvalidLength, "length", allow_legacy=True)


def test_format_and_mask() -> None:
    assert uscc.format("9111 0000 6000 3734 1l") == "91110000600037341L"
    assert uscc.mask("91110000600037341L") == "9111**********341L"
