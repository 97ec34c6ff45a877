"""The web kit's small rules: language codes, lookup, return paths."""

from __future__ import annotations

import pytest

from core.web import i18n
from core.web.pages import safe_next


@pytest.mark.parametrize(("asked", "served"), [
    ("zh-CN", "zh-CN"), ("zh", "zh-CN"), ("zh-cn", "zh-CN"), ("zh-Hans", "zh-CN"),
    ("en", "en"), ("en-GB", "en"), ("EN", "en"), ("fr", None), ("", None), (None, None),
])
def test_language_tags_read_as_the_two_codes_we_serve(asked: str | None, served: str | None) -> None:
    assert i18n.normalize(asked) == served


def test_query_wins_over_cookie_and_chinese_is_the_default() -> None:
    assert i18n.pick_lang("en", "zh-CN") == "en"
    assert i18n.pick_lang("fr", "en") == "en"  # an unknown query falls through to the cookie
    assert i18n.pick_lang(None, None) == "zh-CN"
    assert i18n.other_lang("en") == "zh-CN" and i18n.other_lang("zh-CN") == "en"


def test_lookup_falls_back_to_chinese_then_to_the_key() -> None:
    catalog = {"hello": {"zh-CN": "你好，{name}", "en": "Hello, {name}"}, "only_zh": {"zh-CN": "仅中文"}}
    assert i18n.translator(catalog, "en")("hello", name="A") == "Hello, A"
    assert i18n.translator(catalog, "en")("only_zh") == "仅中文"
    assert i18n.translator(catalog, "zh-CN")("missing") == "missing"
    assert i18n.pick("en", "中文", "") == "中文" and i18n.pick("en", "中文", "English") == "English"


@pytest.mark.parametrize("value", ["//evil.example", "https://evil.example", "/\\evil", "evil", "", None])
def test_return_paths_stay_on_this_site(value: str | None) -> None:
    assert safe_next(value) is None


def test_a_local_return_path_is_kept() -> None:
    assert safe_next("/authorize?client_id=hall&state=s") == "/authorize?client_id=hall&state=s"
