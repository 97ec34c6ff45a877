"""Language of the pages: two BCP 47 codes, ``zh-CN`` (the default) and ``en``, and the lookup of a text.

The same codes are used everywhere: the ``lang`` query parameter and cookie, ``<html lang>``, the idp's
``ui_locales``. On input any Chinese tag (the old ``zh`` included) reads as ``zh-CN`` and any English tag
as ``en``. The message catalogs are data of their packages (``{key: {"zh-CN": …, "en": …}}``); the lookup
is here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

ZH = "zh-CN"
EN = "en"
LANGS = (ZH, EN)
DEFAULT_LANG = ZH
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
Catalog = Mapping[str, Mapping[str, str]]
Translator = Callable[..., str]


def normalize(value: str | None) -> str | None:
    """The code we serve for a requested language tag (``en``, ``en-GB`` → ``en``; ``zh``, ``zh-Hans``,
    ``zh-CN`` → ``zh-CN``), or None when it names neither."""
    if not value:
        return None
    low = value.lower()
    if low.startswith("en"):
        return EN
    if low.startswith("zh"):
        return ZH
    return None


def pick_lang(*requested: str | None) -> str:
    """The first of ``requested`` (query parameter, then cookie) that names a language we serve, else
    Chinese."""
    for value in requested:
        lang = normalize(value)
        if lang is not None:
            return lang
    return DEFAULT_LANG


def other_lang(lang: str) -> str:
    """The language the page's switch link offers."""
    return ZH if lang == EN else EN


def text(entry: Mapping[str, str] | None, lang: str, default: str = "") -> str:
    """One catalog entry in ``lang``, falling back to Chinese, then to ``default``."""
    if not entry:
        return default
    return entry.get(lang) or entry.get(DEFAULT_LANG) or default


def translator(catalog: Catalog, lang: str) -> Translator:
    """``t(key, **values)`` in ``lang``; an unknown key shows itself so a gap is visible, not fatal."""

    def t(key: str, **values: object) -> str:
        found = text(catalog.get(key), lang, key)
        return found.format(**values) if values else found

    return t


def pick(lang: str, zh: str | None, en: str | None) -> str:
    """A value stored in both languages (a catalogue name), in the page language; English falls back to
    Chinese when not translated."""
    if lang == EN and en:
        return en
    return zh or en or ""
