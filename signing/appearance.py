"""The red round seal (电子印章) drawn as vectors: outer ring, the department name along the upper arc,
a five-pointed star, the purpose (e.g. 行政审批专用章) at the bottom.

The seal is drawn once per (department, purpose) with reportlab and cached as PDF bytes; each document
gets a fresh pyHanko stamp style that imports those bytes as a form XObject.
"""

from __future__ import annotations

import binascii
import io
import math
import threading
import uuid
from functools import lru_cache

from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from signing.fonts import fonts
from signing.render import SEAL_SIZE

SEAL_RED = Color(0.85, 0.07, 0.07)


def _star(c: Canvas, cx: float, cy: float, outer: float) -> None:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    path = c.beginPath()
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(90 + 36 * i)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        if i == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    c.drawPath(path, stroke=0, fill=1)


@lru_cache(maxsize=128)
def seal_pdf_bytes(department_name: str, purpose: str, size: float = SEAL_SIZE) -> bytes:
    """A one-page PDF, ``size`` points square, holding only the seal (cached per department+purpose)."""
    f = fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(size, size), pageCompression=1, invariant=1)
    cx = cy = size / 2
    scale = size / 120
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(3.6 * scale)
    c.circle(cx, cy, size / 2 - 2.5 * scale, stroke=1, fill=0)
    _star(c, cx, cy + 2 * scale, 17 * scale)
    # department name along the upper arc, clockwise from the left; glyph bottoms face the centre
    name = department_name.strip()
    n = len(name)
    font_size = (15 if n <= 8 else 13 if n <= 12 else 11 if n <= 16 else 9) * scale
    radius = size / 2 - 7 * scale - font_size
    span = min(250.0, 23.0 * (n - 1) * (font_size / (13 * scale))) if n > 1 else 0.0
    for i, ch in enumerate(name):
        angle = 90 + span / 2 - (span / (n - 1) * i if n > 1 else 0)
        theta = math.radians(angle)
        c.saveState()
        c.translate(cx + radius * math.cos(theta), cy + radius * math.sin(theta))
        c.rotate(angle - 90)
        f.draw(c, 0, 0, ch, font_size, "centre")
        c.restoreState()
    purpose_size = (11 if len(purpose) <= 7 else 9) * scale
    f.draw(c, cx, cy - 33 * scale, purpose, purpose_size, "centre")
    c.showPage()
    c.save()
    return buf.getvalue()


_readers = threading.local()


def _reader(pdf: bytes) -> PdfFileReader:
    # Parsed once per thread: a reader holds a stream position, so threads must not share one.
    cache: dict[bytes, PdfFileReader] = _readers.__dict__.setdefault("cache", {})
    reader = cache.get(pdf)
    if reader is None:
        if len(cache) > 64:
            cache.clear()
        reader = cache[pdf] = PdfFileReader(io.BytesIO(pdf))
    return reader


class SealContent(PdfContent):
    """The cached seal PDF imported into the document being signed as a form XObject (one use only)."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self._pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(_reader(self._pdf), page_ix=0)
        name = "/Seal" + binascii.hexlify(uuid.uuid4().bytes[:6]).decode()
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode() + b" Do"


def stamp_style(*, department_name: str, purpose: str) -> StaticStampStyle:
    """A fresh stamp style for one document (styles carry per-document state; never share them)."""
    return StaticStampStyle(
        background=SealContent(seal_pdf_bytes(department_name, purpose)),
        background_opacity=0.92,
        border_width=0,
        background_layout=_LAYOUT,
    )


_LAYOUT = SimpleBoxLayoutRule(
    x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID, margins=Margins.uniform(0)
)
SIGNATURE_BLUE = Color(0.1, 0.15, 0.5)


@lru_cache(maxsize=256)
def approver_pdf_bytes(person_name: str, width: float, height: float) -> bytes:
    """The approver's visible signature: the name and a small caption (cached per name and size)."""
    f = fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), pageCompression=1, invariant=1)
    c.setFillColor(SIGNATURE_BLUE)
    f.draw(c, width / 2, height / 2 - 2, person_name, min(18.0, height * 0.45), "centre")
    c.setFillColor(Color(0.4, 0.4, 0.4))
    f.draw(c, width / 2, 3, "电子签名 e-signature", 6, "centre")
    c.showPage()
    c.save()
    return buf.getvalue()


def approver_style(*, person_name: str, width: float, height: float) -> StaticStampStyle:
    """A fresh stamp style showing the approver's name."""
    return StaticStampStyle(
        background=SealContent(approver_pdf_bytes(person_name, width, height)),
        background_opacity=1.0,
        border_width=0,
        background_layout=_LAYOUT,
    )
