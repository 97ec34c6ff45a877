"""The shape of a translated text: ``{"zh-CN": …, "en": …}`` (used by the message modules)."""

from __future__ import annotations

M = dict[str, dict[str, str]]


def m(zh: str, en: str) -> dict[str, str]:
    """One text in Chinese and English."""
    return {"zh-CN": zh, "en": en}
