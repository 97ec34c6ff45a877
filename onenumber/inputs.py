"""One input contract for numbers typed into forms (issue 15): ASCII digits only, bounded size.

``str.isdigit`` accepts ``"²"`` and other Unicode digits that ``int`` then refuses (a 500) or reads as
something the user never meant; ``"--5".lstrip("-")`` passes it too. Form values go through here instead.
"""

from __future__ import annotations

import re

_INT = re.compile(r"-?[0-9]{1,9}")


def ascii_int(text: str) -> int | None:
    """The integer written in ``text`` (optional minus, 1–9 ASCII digits), or None when it is not one."""
    value = text.strip()
    return int(value) if _INT.fullmatch(value) else None


def ascii_digits(text: str) -> bool:
    """True when ``text`` is non-empty and made of ASCII digits only."""
    return bool(text) and text.isascii() and text.isdigit()
