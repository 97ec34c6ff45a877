"""Organisation codes (GB 11714-1997)."""

from __future__ import annotations

import pytest

from identifiers import IdentifierError, InvalidChecksum, InvalidFormat, InvalidLength, orgcode


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("60003734-1", "600037341"),
        ("000137015", "000137015"),
        ("M000100Y4", "M000100Y4"),
        ("m000100y-4", "M000100Y4"),
    ],
)
def test_valid(value: str, normalised: str) -> None:
    assert orgcode.validate(value) == normalised
    assert orgcode.is_valid(value)


def test_check_x_and_zero() -> None:
    # 11 - (sum mod 11): sum ≡ 1 gives 10 → "X"; sum ≡ 0 gives 11 → "0".
    assert orgcode.calc_check("00000006") == "X"  # 6 * 2 = 12 ≡ 1
    assert orgcode.calc_check("00000000") == "0"
    assert orgcode.calc_check("0000000B") == "0"  # B = 11, 11 * 2 = 22 ≡ 0
    assert orgcode.is_valid("00000006-X") and orgcode.is_valid("00000006x")
    assert orgcode.format("00000006x") == "00000006-X"


@pytest.mark.parametrize(
    ("value", "error", "rule"),
    [
        ("600037342", InvalidChecksum, "checksum"),
        ("60003734", InvalidLength, "length"),
        ("6000373411", InvalidLength, "length"),
        ("6000#7341", InvalidFormat, "charset"),
        ("60003734A", InvalidFormat, "charset"),
    ],
)
def test_invalid(value: str, error: type[IdentifierError], rule: str) -> None:
    with pytest.raises(error) as info:
        orgcode.validate(value)
    assert info.value.rule == rule
    assert not orgcode.is_valid(value)


def test_format_and_mask() -> None:
    assert orgcode.format("600037341") == "60003734-1"
    assert orgcode.mask("600037341") == "60*****41"
