"""A4 license and approval documents with reportlab: Chinese text in an embedded subset font, a QR code
to the public verification page, and empty signature fields (approver, seal) created up front."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import qrcode
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, append_signature_field
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from core.web.i18n import EN, ZH
from signing.errors import InvalidParameter
from signing.fonts import fonts

SEAL_FIELD = "seal"
APPROVER_FIELD = "approver"
PAGE_W, PAGE_H = A4
SEAL_SIZE = 120  # points; 42 mm, the size of an official round seal
SEAL_BOX = (385, 128, 385 + SEAL_SIZE, 128 + SEAL_SIZE)
APPROVER_BOX = (200, 120, 310, 160)
ISSUER_X = 305
LABELS = {  # by the language codes of core/web/i18n.py
    ZH: {
        "holder": "持证主体",
        "number": "证件号码",
        "identifier": "编号",
        "issuer": "发证机关",
        "code": "统一社会信用代码",
        "issued": "发证日期",
        "valid": "有效期至",
        "approver": "审批人",
        "scan": "扫码核验",
        "forever": "长期",
    },
    EN: {
        "holder": "Holder",
        "number": "ID number",
        "identifier": "No.",
        "issuer": "Issued by",
        "code": "Credit code",
        "issued": "Issued on",
        "valid": "Valid until",
        "approver": "Approved by",
        "scan": "Scan to verify",
        "forever": "No expiry",
    },
}
GREY = Color(0.35, 0.35, 0.35)
RULE = Color(0.75, 0.1, 0.1)


@dataclass(frozen=True)
class DocumentSpec:
    """What a sealed document says; the same values are extracted back from the PDF."""

    title: str
    holder_name: str
    holder_number_masked: str
    fields: list[tuple[str, str]]
    issuer_name: str
    issuer_code: str
    identifier: str
    verify_url: str
    issued_on: date
    valid_until: date | None = None
    seal_purpose: str = "行政审批专用章"
    subtitle: str | None = None
    lang: str = ZH
    extra: dict[str, str] = field(default_factory=dict)  # document info entries (e.g. application serial)


def _date(d: date, lang: str) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日" if lang == ZH else d.isoformat()


def _check(spec: DocumentSpec) -> dict[str, str]:
    if spec.lang not in LABELS:
        raise InvalidParameter(f"unsupported language {spec.lang!r}", field="lang")
    for name in ("title", "holder_name", "issuer_name", "identifier", "verify_url"):
        if not getattr(spec, name).strip():
            raise InvalidParameter(f"{name} must not be empty", field=name)
    if len(spec.fields) > 14:
        raise InvalidParameter("at most 14 fields fit on one page", field="fields")
    if len(spec.verify_url) > 500:
        raise InvalidParameter("verify_url is too long for a QR code", field="verify_url")
    return LABELS[spec.lang]


def _qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code as one vector path (reportlab's widget builds an object per module: ~30 ms)."""
    # A fixed mask: every decoder reads all eight, and the penalty search would cost ~5 ms per document.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=0, mask_pattern=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    unit = size / n
    path = c.beginPath()
    for row_ix, row in enumerate(matrix):
        top = y + size - (row_ix + 1) * unit
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(x + start * unit, top, (col - start) * unit, unit)
            col += 1
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)


def _draw(spec: DocumentSpec, labels: dict[str, str]) -> bytes:
    f = fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(spec.title)
    c.setAuthor(spec.issuer_name)
    c.setSubject(spec.identifier)
    c.setCreator("OneNumber")
    c.setStrokeColor(RULE)
    c.setLineWidth(2)
    c.rect(36, 36, PAGE_W - 72, PAGE_H - 72)
    c.setLineWidth(0.6)
    c.rect(42, 42, PAGE_W - 84, PAGE_H - 84)
    c.setFillColor(black)
    f.draw(c, PAGE_W / 2, PAGE_H - 120, spec.title, 26, "centre")
    y = PAGE_H - 150
    if spec.subtitle:
        f.draw(c, PAGE_W / 2, y, spec.subtitle, 13, "centre")
        y -= 22
    c.setFillColor(GREY)
    f.draw(c, PAGE_W - 72, y, f"{labels['identifier']}：{spec.identifier}", 10, "right")
    y -= 40
    rows = [(labels["holder"], spec.holder_name), (labels["number"], spec.holder_number_masked), *spec.fields]
    label_w = 130
    for label, value in rows:
        c.setFillColor(GREY)
        f.draw(c, 84, y, f"{label}：", 12)
        c.setFillColor(black)
        for line in f.wrap(value, 13, PAGE_W - 84 - label_w - 84):
            f.draw(c, 84 + label_w, y, line, 13)
            y -= 20
        y -= 8
        if y < 250:
            raise InvalidParameter("the fields do not fit on one page", field="fields")
    # issuer block: the seal is placed over it
    c.setFillColor(black)
    valid = _date(spec.valid_until, spec.lang) if spec.valid_until else labels["forever"]
    for i, line in enumerate(
        [
            f"{labels['issuer']}：{spec.issuer_name}",
            f"{labels['code']}：{spec.issuer_code}",
            f"{labels['issued']}：{_date(spec.issued_on, spec.lang)}",
            f"{labels['valid']}：{valid}",
        ]
    ):
        f.draw(c, ISSUER_X, 226 - 20 * i, line, 11)
    c.setFillColor(GREY)
    f.draw(c, APPROVER_BOX[0], APPROVER_BOX[3] + 6, f"{labels['approver']}：", 10)
    _qr(c, spec.verify_url, 72, 96, 96)
    c.setFillColor(GREY)
    f.draw(c, 120, 82, labels["scan"], 10, "centre")
    c.showPage()
    c.save()
    return buf.getvalue()


def _add_fields(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    append_signature_field(writer, SigFieldSpec(APPROVER_FIELD, on_page=0, box=APPROVER_BOX))
    # The seal locks every field and the whole document (PDF 2.0 /Lock /P 1): nothing may change after it.
    append_signature_field(
        writer,
        SigFieldSpec(
            SEAL_FIELD,
            on_page=0,
            box=SEAL_BOX,
            field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
            doc_mdp_update_value=MDPPerm.NO_CHANGES,
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pdf(spec: DocumentSpec) -> bytes:
    """Render ``spec`` as a one-page A4 PDF with empty approver and seal signature fields."""
    labels = _check(spec)
    return _add_fields(_draw(spec, labels))
