"""The check-character systems against published vectors."""

from __future__ import annotations

import pytest

from identifiers import iso7064


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("0794", "0"),  # ISO 7064 annex example
        ("000000012150090", "X"),  # ISNI 0000 0001 2150 090X uses MOD 11-2
        ("000000012281955", "X"),
        ("11010519491231002", "X"),
        ("44088219850329301", "7"),
    ],
)
def test_mod_11_2(body: str, check: str) -> None:
    assert iso7064.mod_11_2_check(body) == check
    assert iso7064.mod_11_2_is_valid(body + check)


def test_mod_11_2_rejects_garbage() -> None:
    assert not iso7064.mod_11_2_is_valid("07941")
    assert not iso7064.mod_11_2_is_valid("X")
    assert not iso7064.mod_11_2_is_valid("07A40")


def test_mod_37_36() -> None:
    assert iso7064.mod_37_36_check("A12425GABC1234002") == "M"  # ISO 7064 annex example
    assert iso7064.mod_37_36_is_valid("A12425GABC1234002M")
    assert not iso7064.mod_37_36_is_valid("A12425GABC1234002N")
    assert not iso7064.mod_37_36_is_valid("A12425GABC1234002m")
    assert not iso7064.mod_37_36_is_valid("M")


def test_mod_37_36_catches_every_single_substitution_and_adjacent_transposition() -> None:
    value = "A12425GABC1234002M"
    for i in range(len(value)):
        for char in iso7064.ALNUM:
            if char != value[i]:
                assert not iso7064.mod_37_36_is_valid(value[:i] + char + value[i + 1 :])
        if i + 1 < len(value) and value[i] != value[i + 1]:
            assert not iso7064.mod_37_36_is_valid(value[:i] + value[i + 1] + value[i] + value[i + 2 :])


def test_mod_31() -> None:
    assert iso7064.mod_31_check("91110000600037341") == "L"
    assert iso7064.mod_31_check("11110000000137015") == "K"
    assert iso7064.mod_31_is_valid("111100000001370319")
    assert not iso7064.mod_31_is_valid("91110000600037341A")
    assert not iso7064.mod_31_is_valid("91110000600037341")
    assert not iso7064.mod_31_is_valid("91110000600I37341L")
