"""QR codes as inline SVG (no extra request, works under a strict Content-Security-Policy).

Shared by idp and wallet pages.
"""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from markupsafe import Markup, escape


def svg(text: str, *, label: str) -> Markup:
    """An accessible inline ``<svg>`` QR code of ``text``."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    raw = image.to_string(encoding="unicode")
    raw = re.sub(r"^<\?xml[^>]*>\s*", "", raw)
    # Scale with the page; give it a name for screen readers.
    raw = raw.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" class="qr" ', 1)
    raw = re.sub(r'(<svg[^>]*?) width="[^"]*"', r"\1", raw, count=1)
    raw = re.sub(r'(<svg[^>]*?) height="[^"]*"', r"\1", raw, count=1)
    return Markup(raw)
