"""E-license identifiers (GB/T 36904): make, parse, every rule."""

from __future__ import annotations

import pytest

from identifiers import IdentifierError, InvalidChecksum, InvalidComponent, InvalidFormat, license_id

ISSUER = "11110000000137015K"
GOOD = "1.2.156.3005.2.A001.11110000000137015K.2026000001.1.Z"


def test_make_validate_parse_round_trip() -> None:
    identifier = license_id.make("A001", ISSUER, "2026000001", 1)
    assert identifier == GOOD
    assert license_id.validate(identifier) == identifier
    assert license_id.parse(identifier) == license_id.LicenseId(
        identifier=GOOD, type_code="A001", issuer_code=ISSUER, serial="2026000001", version="1", check="Z"
    )


def test_version_as_int_or_string_and_lowercase_inputs() -> None:
    assert license_id.make("a001", ISSUER.lower(), "2026000001", "1") == GOOD
    assert license_id.validate(GOOD.lower()) == GOOD
    assert license_id.validate(f"  {GOOD} ") == GOOD


def test_check_covers_the_concatenated_payload() -> None:
    # The documented choice: MOD 37,36 over type + issuer + serial + version, without dots or root.
    from identifiers.iso7064 import mod_37_36_is_valid

    assert mod_37_36_is_valid("A001" + ISSUER + "2026000001" + "1" + "Z")


@pytest.mark.parametrize(
    ("value", "error", "rule"),
    [
        ("1.2.156.3005.1.A001.11110000000137015K.2026000001.1.Z", InvalidFormat, "root"),
        ("A001.11110000000137015K.2026000001.1.Z", InvalidFormat, "root"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000001.Z", InvalidFormat, "structure"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026.000001.1.Z", InvalidFormat, "structure"),
        ("1.2.156.3005.2..11110000000137015K.2026000001.1.Z", InvalidFormat, "type_code"),
        ("1.2.156.3005.2.A-01.11110000000137015K.2026000001.1.Z", InvalidFormat, "type_code"),
        ("1.2.156.3005.2.A001.11110000000137015.2026000001.1.Z", InvalidComponent, "issuer_code"),
        ("1.2.156.3005.2.A001.11110000000137015A.2026000001.1.Z", InvalidComponent, "issuer_code"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026_00001.1.Z", InvalidFormat, "serial"),
        ("1.2.156.3005.2.A001.11110000000137015K." + "1" * 33 + ".1.Z", InvalidFormat, "serial"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000001.V1.Z", InvalidFormat, "version"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000001.12345.Z", InvalidFormat, "version"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000001.1.ZZ", InvalidFormat, "charset"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000001.1.Y", InvalidChecksum, "checksum"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026000002.1.Z", InvalidChecksum, "checksum"),
        ("1.2.156.3005.2.A001.11110000000137015K.2026 000001.1.Z", InvalidFormat, "serial"),  # not stripped
    ],
)
def test_invalid_identifiers_name_the_rule(value: str, error: type[IdentifierError], rule: str) -> None:
    with pytest.raises(error) as info:
        license_id.validate(value)
    assert info.value.rule == rule
    assert f"(rule: {rule})" in str(info.value)
    assert not license_id.is_valid(value)


def test_issuer_error_says_which_credit_code_rule_failed() -> None:
    with pytest.raises(InvalidComponent) as info:
        license_id.validate("1.2.156.3005.2.A001.11110000000137015A.2026000001.1.Z")
    assert "rule: checksum" in str(info.value)  # the inner GB 32100 rule is kept in the message


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (("", ISSUER, "1", 1), "type_code"),
        (("A001", "91110000600037341A", "1", 1), "issuer_code"),  # a legacy code cannot issue
        (("A001", ISSUER, "", 1), "serial"),
        (("A001", ISSUER, "1", 12345), "version"),
        (("A001", ISSUER, "1", -1), "version"),
    ],
)
def test_make_refuses_bad_parts(args: tuple[str, str, str, int], rule: str) -> None:
    with pytest.raises(IdentifierError) as info:
        license_id.make(*args)
    assert info.value.rule == rule


def test_format_and_mask() -> None:
    assert license_id.format(GOOD.lower()) == GOOD
    assert license_id.mask(GOOD) == "1.2.156.3005.2.A001.11110000000137015K.********01.1.Z"
    assert license_id.mask("not an id") == "*********"
