"""Fonts from Debian packages, registered with reportlab once per process and embedded as subsets.

DroidSansFallbackFull (``fonts-droid-fallback``) has the CJK glyphs but no Latin letters or digits,
so text is drawn in runs: CJK glyphs from it, everything else from a Latin font (``fonts-dejavu-core``
or ``fonts-liberation``). WenQuanYi Micro Hei (``fonts-wqy-microhei``) is the CJK fallback.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from signing.errors import SigningError

CJK_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)
LATIN_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)


@dataclass(frozen=True)
class FontPair:
    """A CJK font and a Latin font (reportlab names), and which code points the CJK font covers."""

    cjk: str
    latin: str
    cjk_chars: frozenset[int]
    latin_chars: frozenset[int]

    def runs(self, text: str) -> list[tuple[str, str]]:
        """Split ``text`` into (font name, substring) runs, each drawable by one font."""
        out: list[tuple[str, str]] = []
        for ch in text:
            cp = ord(ch)
            font = (
                self.cjk
                if cp in self.cjk_chars and (cp > 0x2E7F or cp not in self.latin_chars)
                else self.latin
            )
            if out and out[-1][0] == font:
                out[-1] = (font, out[-1][1] + ch)
            else:
                out.append((font, ch))
        return out

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points."""
        return sum(pdfmetrics.stringWidth(part, font, size) for font, part in self.runs(text))

    def draw(self, canvas: Canvas, x: float, y: float, text: str, size: float, align: str = "left") -> None:
        """Draw ``text`` with its baseline at ``y``; ``align`` is left, centre or right of ``x``."""
        if align == "centre":
            x -= self.width(text, size) / 2
        elif align == "right":
            x -= self.width(text, size)
        for font, part in self.runs(text):
            canvas.setFont(font, size)
            canvas.drawString(x, y, part)
            x += pdfmetrics.stringWidth(part, font, size)

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        """Greedy line breaking at any character (Chinese text has no spaces)."""
        lines: list[str] = []
        line = ""
        for ch in text:
            if line and self.width(line + ch, size) > max_width:
                lines.append(line)
                line = ch.lstrip()
            else:
                line += ch
        if line or not lines:
            lines.append(line)
        return lines


_lock = threading.Lock()
_fonts: FontPair | None = None


def _register(name: str, candidates: tuple[tuple[str, int], ...]) -> tuple[str, frozenset[int]]:
    for path, index in candidates:
        if Path(path).is_file():
            font = TTFont(name, path, subfontIndex=index)
            pdfmetrics.registerFont(font)
            return name, frozenset(font.face.charToGlyph)
    raise SigningError(
        "no suitable font found: install the Debian packages fonts-droid-fallback and fonts-dejavu-core",
        code="font_missing",
    )


def fonts() -> FontPair:
    """The registered font pair (registered on first use; parsing the CJK font takes ~0.2 s)."""
    global _fonts
    if _fonts is None:
        with _lock:
            if _fonts is None:
                cjk, cjk_chars = _register("OneNumberCJK", CJK_CANDIDATES)
                latin, latin_chars = _register("OneNumberLatin", LATIN_CANDIDATES)
                _fonts = FontPair(cjk=cjk, latin=latin, cjk_chars=cjk_chars, latin_chars=latin_chars)
    return _fonts
