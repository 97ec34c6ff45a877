"""The QR code on a sealed application result opens a human page with the result (issue 15): the QR modules
are read back out of the sealed PDF, shown to encode exactly the progress page's URL, and that URL answers
200 text/html in Chinese with the application's outcome. A result sealed before carried
``/api/applications/status?serial=…`` (no query code: raw JSON "Field required"); a browser opening that
now lands on the page that asks for the code."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from urllib.parse import urlparse

import qrcode
from pyhanko.pdf_utils.reader import PdfFileReader
from qrcode.constants import ERROR_CORRECT_M

from core.runtime import runtime_of
from wallet.applications import progress

# Where signing/render.py draws the QR (points) and how: see ``signing.render._qr``.
QR_X, QR_Y, QR_SIZE = 72.0, 96.0, 96.0
_RECT = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re")


def qr_cells_in(pdf: bytes) -> set[tuple[int, int]]:
    """The dark modules (row, column) of the QR code on the first page of ``pdf``."""
    page = PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    contents = page["/Contents"]
    data = contents.data if hasattr(contents, "data") else b"".join(c.get_object().data for c in contents)
    rects = [tuple(float(v) for v in m.groups()) for m in _RECT.finditer(data)]
    inside = [r for r in rects if QR_X - 0.01 <= r[0] < QR_X + QR_SIZE and QR_Y - 0.01 <= r[1] < QR_Y + QR_SIZE]
    unit = min(r[3] for r in inside)
    cells = set()
    for x, y, w, _h in inside:
        row = round((QR_Y + QR_SIZE - y) / unit) - 1
        first = round((x - QR_X) / unit)
        cells.update((row, col) for col in range(first, first + round(w / unit)))
    return cells


def qr_cells_of(text: str) -> set[tuple[int, int]]:
    """The dark modules of ``text`` as signing/render.py encodes it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=0, mask_pattern=2)
    code.add_data(text)
    code.make(fit=True)
    return {(r, c) for r, row in enumerate(code.get_matrix()) for c, dark in enumerate(row) if dark}


def test_qr_of_a_sealed_result_opens_its_progress_page(world: Any) -> None:
    serial, code = world.refs["app_a_done"], world.refs["app_a_done_code"]
    sealed = world.api("holder_a", "GET", f"/api/applications/{serial}/result.pdf")
    assert sealed.status_code == 200 and sealed.content.startswith(b"%PDF")
    url = progress.page_url(runtime_of(world.app).settings, serial, code)
    assert qr_cells_in(sealed.content) == qr_cells_of(url), "the QR does not encode the progress page URL"
    assert qr_cells_in(sealed.content) != qr_cells_of(f"http://testserver/api/applications/status?serial={serial}")

    parts = urlparse(url)
    anyone = world.client  # no session, no token: whoever scans the printed notice
    page = anyone.get(f"{parts.path}?{parts.query}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert 'lang="zh-CN"' in text and "办件进度查询" in text
    assert serial in text and "已办结（准予）" in text and "审批通过" in text  # the outcome and its step
    assert "张三" not in text and world.refs["number_a"] not in text  # no personal data on a public page
    english = anyone.get(f"{parts.path}?{parts.query}&lang=en")
    assert english.status_code == 200 and "concluded: approved" in english.text


def test_a_wrong_code_gets_the_form_not_the_result(world: Any) -> None:
    serial = world.refs["app_a_done"]
    page = world.client.get("/hall/progress", params={"serial": serial, "code": "00000000"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "已办结" not in page.text and 'id="progress-form"' in page.text


def test_the_link_of_results_sealed_before_opens_the_page_too(world: Any) -> None:
    serial = world.refs["app_a_done"]
    legacy = f"/api/applications/status?serial={serial}"
    browser = world.client.get(legacy, headers={"Accept": "text/html,application/xhtml+xml"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"].endswith(f"/hall/progress?serial={serial}")
    form = world.client.get(urlparse(browser.headers["location"]).path, params={"serial": serial})
    assert form.status_code == 200 and 'id="progress-form"' in form.text and serial in form.text
    api = world.client.get(legacy)  # an API client still gets JSON naming the missing field
    assert api.status_code == 400 and api.json()["field"] == "code"
