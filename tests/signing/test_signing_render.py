"""Rendering: Chinese text in an embedded subset font, extracted back equal to the input."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from signing import DocumentSpec, render_pdf
from signing.errors import InvalidParameter
from signing.render import APPROVER_FIELD, SEAL_FIELD


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_text_round_trip(spec: DocumentSpec, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_pdf(spec))
    text = _squash(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    )
    expected = [
        spec.title,
        spec.holder_name,
        spec.holder_number_masked,
        spec.issuer_name,
        spec.issuer_code,
        spec.identifier,
        "2026年01月05日",
        "2031年01月04日",
    ]
    for label, value in spec.fields:
        expected += [label, value]
    for item in expected:
        assert _squash(item) in text, item


def test_fonts_are_embedded_subsets(spec: DocumentSpec, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_pdf(spec))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    used = [line for line in out.splitlines() if "+" in line]
    assert used and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in used)


def test_signature_fields_exist_up_front(spec: DocumentSpec) -> None:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(render_pdf(spec)))
    names = {name: value for name, value, _ in enumerate_sig_fields(reader)}
    assert names == {APPROVER_FIELD: None, SEAL_FIELD: None}


def test_english_layout(spec: DocumentSpec) -> None:
    assert render_pdf(dataclasses.replace(spec, lang="en", title="Food Business Permit")).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": " "}, "title"), ({"lang": "fr"}, "lang"), ({"fields": [("a", "b")] * 20}, "fields")],
)
def test_bad_specs(spec: DocumentSpec, change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        render_pdf(dataclasses.replace(spec, **change))  # type: ignore[arg-type]
    assert err.value.field == field
