"""At the counter 王五 finds 李四 by number (only after confirming the ID document in person), takes an
application for the elderly preferential card with a photo checked at the window (trust B); the admin page
lists departments, license types and service items."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from tests.browser.browser_helpers import LI, WANG, Browsing, login


def tiny_png() -> bytes:
    """A valid 1×1 PNG (the photo the clerk scans)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_walk_in_with_checked_materials(web: Browsing, tmp_path: Path) -> None:
    clerk = web.page()
    login(clerk, WANG, start="/console")
    clerk.wait_for_url("**/console")
    clerk.fill("#number", LI[0])
    clerk.fill("#name", LI[2])
    clerk.click("#find-person")
    assert "当面核验" in clerk.locator("#console-error").inner_text()  # the checkbox is required
    web.axe(clerk, "console refuses without in-person check")

    clerk.fill("#number", LI[0])
    clerk.fill("#name", LI[2])
    clerk.check("#confirmed")
    clerk.click("#find-person")
    assert "结婚证" in clerk.locator("#person-licenses").inner_text()
    web.axe(clerk, "console person")
    web.shot(clerk, "console-person", docs=True)
    clerk.select_option("#item", label="老年人优待证办理")
    clerk.click("#take-application")
    clerk.wait_for_selector("#apply-form")
    photo = tmp_path / "photo.png"
    photo.write_bytes(tiny_png())
    clerk.set_input_files("#doc-photo", str(photo))
    web.axe(clerk, "console apply for a walk-in")
    clerk.click("#submit-application")
    clerk.wait_for_url("**/console/applications/**")
    materials = clerk.locator("#materials").inner_text()
    assert "窗口核验原件" in materials and "可信等级 B" in materials
    web.axe(clerk, "console application taken")
    web.shot(clerk, "console-walk-in")

    clerk.goto("/admin")
    assert "示例市行政审批局" in clerk.locator("#departments").inner_text()
    assert "营业执照" in clerk.locator("#license-types").inner_text()
    assert "餐饮店开业登记" in clerk.locator("#service-items").inner_text()
    web.axe(clerk, "admin overview")
    web.shot(clerk, "admin-overview")
