"""Resident ID numbers (GB 11643-1999): vectors for every rule, the 15-digit upgrade, masking."""

from __future__ import annotations

import datetime as dt

import pytest

from identifiers import (
    IdentifierError,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ric,
)

# Written out from GB 11643 (weights 2**(17-i) mod 11, check table "10X98765432"), independent of iso7064.py.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(body: str) -> str:
    """Append the correct check character to 17 digits."""
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def assert_rule(value: str, error: type[IdentifierError], rule: str, **kwargs: object) -> IdentifierError:
    with pytest.raises(error) as info:
        ric.validate(value, **kwargs)  # type: ignore[arg-type]
    assert info.value.rule == rule
    assert f"(rule: {rule})" in str(info.value)
    assert not ric.is_valid(value, **kwargs)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),  # lowercase x is normalised
        ("110102199101010078", "110102199101010078"),
        ("440882198503293017", "440882198503293017"),
        (" 110105 19491231 002x ", "11010519491231002X"),
        ("110105-19491231-002X", "11010519491231002X"),
    ],
)
def test_valid_numbers(value: str, normalised: str) -> None:
    assert ric.validate(value) == normalised
    assert ric.is_valid(value)
    assert ric.format(value) == normalised


def test_the_vectors_agree_with_the_independent_check() -> None:
    for number in ("11010519491231002X", "110102199101010078", "440882198503293017"):
        assert with_check(number[:17]) == number


def test_parse_gives_area_birth_date_sex_sequence() -> None:
    zhang = ric.parse("11010519491231002x")
    assert zhang == ric.ResidentId(
        number="11010519491231002X", area_code="110105", birth_date=dt.date(1949, 12, 31), sex="female",
        sequence="002",
    )
    assert ric.parse("440882198503293017").sex == "male"  # 301: odd
    assert ric.parse("110102199101010078").sex == "male"  # 007: odd
    with pytest.raises(AttributeError):
        zhang.sex = "male"  # type: ignore[misc]  # frozen


@pytest.mark.parametrize("date", ["20000229", "19960229", "20240229", "19040229"])
def test_29_february_in_leap_years_is_valid(date: str) -> None:
    number = with_check("110105" + date + "123")
    assert ric.parse(number).birth_date == dt.date(int(date[:4]), 2, 29)


@pytest.mark.parametrize("date", ["19000229", "20230229", "19990229", "21000229"])
def test_29_february_in_non_leap_years_fails(date: str) -> None:
    error = assert_rule(with_check("110105" + date + "123"), InvalidComponent, "birth_date")
    assert "leap" in str(error)


@pytest.mark.parametrize("date", ["19911301", "19910001", "19910132", "19910431", "00000000"])
def test_impossible_dates_fail(date: str) -> None:
    assert_rule(with_check("110102" + date + "007"), InvalidComponent, "birth_date")


def test_birth_date_in_the_future_fails() -> None:
    today = dt.date(2026, 3, 1)
    assert ric.validate(with_check("11010520260301001"), today=today)  # born today: fine
    assert_rule(with_check("11010520260302001"), InvalidComponent, "birth_date", today=today)
    assert "future" in str(
        assert_rule(with_check("11010520991231001"), InvalidComponent, "birth_date")  # real today
    )


def test_birth_before_1900_fails() -> None:
    assert ric.is_valid(with_check("11010519000101001"))
    assert_rule(with_check("11010518991231001"), InvalidComponent, "birth_date")


@pytest.mark.parametrize("area", ["990105", "000000", "100000", "200101", "720101", "830000"])
def test_bad_area_fails(area: str) -> None:
    assert_rule(with_check(area + "19491231002"), InvalidComponent, "area")


def test_wrong_checksum_fails() -> None:
    error = assert_rule("110105194912310021", InvalidChecksum, "checksum")
    assert "110105" not in str(error) and "1949" not in str(error)  # never echo the number into logs
    assert_rule("110102199101010079", InvalidChecksum, "checksum")
    assert_rule("44088219850329301X", InvalidChecksum, "checksum")


@pytest.mark.parametrize("value", ["", "11010519491231002", "11010519491231002X1", "110105491231002"])
def test_wrong_length_fails(value: str) -> None:
    assert_rule(value, InvalidLength, "length")


@pytest.mark.parametrize(
    "value",
    ["1101051949123100AX", "11010519491231002Y", "１１０１０５19491231002X", "110105194912310O2X"],
)
def test_wrong_characters_fail(value: str) -> None:
    assert_rule(value, InvalidFormat, "charset")


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        ric.validate("nonsense")


def test_upgrade_first_generation_number() -> None:
    assert ric.upgrade_15("110105491231002") == "11010519491231002X"
    assert ric.upgrade_15("110102 910101 007") == "110102199101010078"
    upgraded = ric.upgrade_15("440882850329301")
    assert upgraded == "440882198503293017" and ric.is_valid(upgraded)


@pytest.mark.parametrize(
    ("value", "error", "rule"),
    [
        ("11010549123100", InvalidLength, "length"),
        ("11010519491231002X", InvalidLength, "length"),
        ("11010549123100A", InvalidFormat, "charset"),
        ("990105491231002", InvalidComponent, "area"),
        ("110105490229002", InvalidComponent, "birth_date"),  # 1949 is not a leap year
        ("110105481301002", InvalidComponent, "birth_date"),
    ],
)
def test_upgrade_rejects_bad_numbers(value: str, error: type[IdentifierError], rule: str) -> None:
    with pytest.raises(error) as info:
        ric.upgrade_15(value)
    assert info.value.rule == rule


def test_mask_keeps_first_four_and_last_four() -> None:
    assert ric.mask("11010519491231002x") == "1101**********002X"
    assert ric.mask("110102199101010078") == "1101**********0078"
    assert ric.mask("1234") == "****"
