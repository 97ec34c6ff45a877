"""Which kind of party a number names (identifiers.kinds): classify, validate_as, mask."""

from __future__ import annotations

import pytest

from identifiers import IdentifierError, InvalidChecksum, Kind, classify, mask, ric, uscc, validate_as

PERSON = "11010519491231002X"
ORGANISATION = "91110000600037341L"
ALL_DIGIT_ORGANISATION = "111100000001370319"  # 17 digits and a digit check, yet a credit code
LEGACY = "91110000600037341A"  # fails only the MOD 31 check (a pilot-era code)


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        (PERSON, Kind.PERSON),
        ("11010519491231002x", Kind.PERSON),
        ("110105 19491231 002X", Kind.PERSON),
        (ORGANISATION, Kind.ORGANIZATION),
        ("9111-0000-6000-3734-1l", Kind.ORGANIZATION),
        (ALL_DIGIT_ORGANISATION, Kind.ORGANIZATION),
        ("110105194912310021", None),  # resident ID shape, wrong check character
        (LEGACY, None),
        ("110105491231002", None),  # first generation: not a number a party is known by
        ("", None),
        ("not a number", None),
    ],
)
def test_classify(number: str, kind: Kind | None) -> None:
    assert classify(number) is kind


def test_classify_agrees_with_the_validators() -> None:
    for number in (PERSON, ORGANISATION, ALL_DIGIT_ORGANISATION, LEGACY, "110105194912310021"):
        expected = Kind.PERSON if ric.is_valid(number) else Kind.ORGANIZATION if uscc.is_valid(number) else None
        assert classify(number) is expected


def test_legacy_codes_only_when_asked() -> None:
    assert classify(LEGACY, allow_legacy=True) is Kind.ORGANIZATION
    assert validate_as(Kind.ORGANIZATION, LEGACY, allow_legacy=True) == LEGACY
    with pytest.raises(InvalidChecksum):
        validate_as(Kind.ORGANIZATION, LEGACY)


def test_kinds_are_the_stored_holder_kinds() -> None:
    assert Kind.PERSON == "person" and Kind.ORGANIZATION == "organization"
    assert Kind("organization") is Kind.ORGANIZATION


def test_validate_as_normalises_or_names_the_rule() -> None:
    assert validate_as("person", "11010519491231002x") == PERSON
    assert validate_as(Kind.ORGANIZATION, "91110000600037341l") == ORGANISATION
    with pytest.raises(IdentifierError) as info:
        validate_as(Kind.PERSON, ORGANISATION)  # a credit code is not a resident ID
    assert info.value.rule
    with pytest.raises(IdentifierError):
        validate_as(Kind.ORGANIZATION, PERSON)
    with pytest.raises(ValueError):
        validate_as("client", PERSON)


@pytest.mark.parametrize("number", [PERSON, ORGANISATION, ALL_DIGIT_ORGANISATION, "110105194912310021", "12345"])
def test_mask_matches_the_kind_module_and_never_shows_a_number(number: str) -> None:
    expected = uscc.mask(number) if classify(number) is Kind.ORGANIZATION else ric.mask(number)
    assert mask(number) == expected
    assert mask(number, Kind.PERSON) == ric.mask(number)
    assert mask(number, "organization") == uscc.mask(number)
    assert number not in mask(number) or len(number) == 0


def test_mask_examples() -> None:
    assert mask(PERSON) == "1101**********002X"
    assert mask(ORGANISATION) == "9111**********341L"
    assert mask("12345678") == "********"
