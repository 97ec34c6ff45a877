"""Property tests: every generated valid identifier validates; every single-character change fails."""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from identifiers import areas, license_id, ric, uscc
from identifiers.iso7064 import ALNUM, USCC_ALPHABET

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MOD31_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_TODAY = dt.date(2026, 1, 1)

provinces = st.sampled_from(sorted(areas.PROVINCES))
# Replacement characters: printable ASCII plus a few look-alikes (fullwidth digits, lowercase letters).
replacements = st.characters(codec="ascii", min_codepoint=32, max_codepoint=126) | st.sampled_from(
    "０１９ｘ×"
)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    area = draw(provinces) + draw(st.text(alphabet=string.digits, min_size=4, max_size=4))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=_TODAY))
    body = area + born.strftime("%Y%m%d") + draw(st.text(alphabet=string.digits, min_size=3, max_size=3))
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _RIC_WEIGHTS, strict=True)) % 11]


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(uscc.ORGANISATION_TYPES)))
    kind = draw(st.sampled_from(sorted(uscc.ORGANISATION_TYPES[authority])))
    rest = st.text(alphabet=string.digits, min_size=4, max_size=4)
    area = draw(st.just(areas.NATIONAL) | st.builds(lambda p, r: p + r, provinces, rest))
    org_body = draw(st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8))
    org = (11 - sum(int(c, 36) * w for c, w in zip(org_body, _ORG_WEIGHTS, strict=True)) % 11) % 11
    body = authority + kind + area + org_body + ("X" if org == 10 else str(org))
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, _MOD31_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


alnum = st.text(alphabet=ALNUM, min_size=1, max_size=32)


@st.composite
def license_ids(draw: st.DrawFn) -> str:
    version = draw(st.integers(min_value=0, max_value=9999))
    return license_id.make(draw(alnum), draw(credit_codes()), draw(alnum), version)


def _changed(value: str, position: int, char: str) -> str | None:
    """``value`` with one character replaced, or None if normalisation would undo the change."""
    if char.upper() == value[position].upper():
        return None
    return value[:position] + char + value[position + 1 :]


@settings(max_examples=300)
@given(resident_ids())
def test_generated_resident_ids_validate(number: str) -> None:
    assert ric.validate(number, today=_TODAY) == number
    person = ric.parse(number, today=_TODAY)
    assert person.sex == ("male" if int(number[16]) % 2 else "female")
    assert ric.validate(number.lower(), today=_TODAY) == number


@settings(max_examples=300)
@given(resident_ids(), st.data())
def test_any_single_character_change_of_a_resident_id_fails(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, 17))
    changed = _changed(number, position, data.draw(replacements))
    if changed is not None:
        assert not ric.is_valid(changed, today=_TODAY)


@settings(max_examples=50)
@given(resident_ids())
def test_every_digit_substitution_of_a_resident_id_fails(number: str) -> None:
    # MOD 11-2 catches every single substitution: check all 18 × 10 of them, not a sample.
    for position in range(18):
        for char in "0123456789X":
            if char != number[position]:
                assert not ric.is_valid(number[:position] + char + number[position + 1 :], today=_TODAY)


@settings(max_examples=300)
@given(credit_codes())
def test_generated_credit_codes_validate(code: str) -> None:
    assert uscc.validate(code) == code
    assert uscc.parse(code).legacy is False


@settings(max_examples=50)
@given(credit_codes())
def test_every_single_substitution_of_a_credit_code_fails(code: str) -> None:
    for position in range(18):
        for char in ALNUM:
            changed = _changed(code, position, char)
            if changed is not None:
                assert not uscc.is_valid(changed)


@settings(max_examples=300)
@given(credit_codes(), st.data())
def test_any_single_character_change_of_a_credit_code_fails(code: str, data: st.DataObject) -> None:
    changed = _changed(code, data.draw(st.integers(0, 17)), data.draw(replacements))
    if changed is not None:
        assert not uscc.is_valid(changed)


@settings(max_examples=300)
@given(license_ids())
def test_generated_license_ids_validate(identifier: str) -> None:
    assert license_id.validate(identifier) == identifier
    parts = license_id.parse(identifier)
    assert license_id.make(parts.type_code, parts.issuer_code, parts.serial, parts.version) == identifier


@settings(max_examples=300)
@given(license_ids(), st.data())
def test_any_single_character_change_of_a_license_id_fails(identifier: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(identifier) - 1))
    changed = _changed(identifier, position, data.draw(replacements | st.sampled_from(ALNUM + ". ")))
    if changed is not None:
        assert not license_id.is_valid(changed)


@settings(max_examples=30)
@given(license_ids())
def test_every_alphanumeric_substitution_of_a_license_id_fails(identifier: str) -> None:
    for position in range(len(identifier)):
        for char in ALNUM + ". \t":
            changed = _changed(identifier, position, char)
            if changed is not None:
                assert not license_id.is_valid(changed)
