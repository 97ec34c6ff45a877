"""The module docstrings' examples run and pass."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from identifiers import areas, iso7064, kinds, license_id, orgcode, ric, uscc


@pytest.mark.parametrize("module", [areas, iso7064, kinds, license_id, orgcode, ric, uscc], ids=lambda m: m.__name__)
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
