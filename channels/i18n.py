"""Dictionary-based i18n of the web channels: zh-CN by default, English with ``?lang=en`` (a ``lang`` cookie).

The idp pages read the same cookie, so one switch changes the language of the whole journey.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.messages import MESSAGES

LANGS = ("zh-CN", "en")
LANG_COOKIE = "lang"
Translator = Callable[..., str]


def pick_lang(query: str | None, cookie: str | None) -> str:
    """``en`` or ``zh-CN`` from the query parameter, else the cookie, else Chinese."""
    for value in (query, cookie):
        if value:
            low = value.lower()
            if low.startswith("en"):
                return "en"
            if low.startswith("zh"):
                return "zh-CN"
    return "zh-CN"


def translator(lang: str) -> Translator:
    """``t(key, **values)`` in ``lang``; an unknown key shows itself so a gap is visible, not fatal."""
    lang = lang if lang in LANGS else "zh-CN"

    def t(key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = key if entry is None else entry.get(lang) or entry["zh-CN"]
        return text.format(**values) if values else text

    return t


def pick(lang: str, zh: str | None, en: str | None) -> str:
    """A catalogue value in the page language (English falls back to Chinese when not translated)."""
    if lang == "en" and en:
        return en
    return zh or en or ""
