"""Malformed and adversarial PDFs, built by hand (bytes) or by mutating a real sealed PDF.

``hand_built()`` and ``mutations(sealed)`` return ``{name: bytes}``; ``large_sealed_input()`` gives an
unsigned ~9 MB document to seal for load tests and the benchmark. Nothing here needs a PDF library: each
sample is written byte by byte so it is exactly as broken as its name says.
"""

from __future__ import annotations

import random
import re
import time
import zlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
DEPTH = 100_000

CATALOG = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"
FIELD = b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (seal) /F 132 /Rect [0 0 0 0] /P 3 0 R /V %s >>"
SIG = b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange %s /Contents %s >>"
PLACEHOLDER = b"[0000000000 0000000000 0000000000 0000000000]"


def assemble(
    objects: Mapping[int, bytes],
    *,
    trailer: bytes = b"/Root 1 0 R",
    header: bytes = HEADER,
    startxref: bytes | None = None,
    offsets: Mapping[int, bytes] | None = None,
) -> bytes:
    """A PDF with ``objects`` (number → body), a classic xref table and a trailer.

    ``offsets`` replaces the xref entry of an object (the raw 20-byte line or anything else);
    ``startxref`` replaces the number after ``startxref``.
    """
    out = bytearray(header)
    where: dict[int, int] = {}
    for num in sorted(objects):
        where[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if offsets and num in offsets:
            out += offsets[num]
        elif num in where:
            out += b"%010d 00000 n \n" % where[num]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n" % (size, trailer)
    out += (startxref if startxref is not None else b"%d" % xref_at) + b"\n%%EOF\n"
    return _fill_byte_range(bytes(out))


def _fill_byte_range(pdf: bytes) -> bytes:
    """Replace the ByteRange placeholder by the true ranges around the first hex /Contents string."""
    at = pdf.find(PLACEHOLDER)
    if at < 0:
        return pdf
    match = re.compile(rb"/Contents\s*(<[0-9A-Fa-f]*>)").search(pdf, at)
    if match is None:
        return pdf
    start, end = match.span(1)
    ranges = b"[%010d %010d %010d %010d]" % (0, start, end, len(pdf) - end)
    return pdf[:at] + ranges + pdf[at + len(PLACEHOLDER) :]


def signed_doc(*, value: bytes = b"5 0 R", byte_range: bytes = PLACEHOLDER, contents: bytes | None = None,
               sig: bytes | None = None, cms: bytes = b"", **extra: bytes) -> bytes:
    """A one-page document with a signature field ``seal`` whose /V is ``value`` (object 5 by default), a
    signature dictionary carrying ``cms`` (DER; random bytes when empty) unless ``contents`` replaces it."""
    if contents is None:
        contents = b"<" + (cms or random.Random(5).randbytes(1024)).hex().encode() + b">"
    objects = {1: CATALOG, 2: PAGES, 3: PAGE, 4: FIELD % value,
               5: sig if sig is not None else SIG % (byte_range, contents)}
    for key, body in extra.items():
        objects[int(key.lstrip("o"))] = body
    return assemble(objects)


def _nested(opening: bytes, closing: bytes, inner: bytes = b"0", depth: int = DEPTH) -> bytes:
    return opening * depth + inner + closing * depth


def _xref_stream_doc(objstm: bytes, *, first_free: int = 6) -> bytes:
    """A PDF 1.5 document: catalog and pages in an object stream (object 6), indexed by an xref stream."""
    out = bytearray(HEADER)
    out += b"6 0 obj\n" + objstm + b"\nendobj\n"
    objstm_at = len(HEADER)
    xref_at = len(out)
    rows = [(0, 0, 255), (2, 6, 0), (2, 6, 1), (2, 6, 2), (0, 0, 0), (0, 0, 0), (1, objstm_at, 0), (1, xref_at, 0)]
    data = b"".join(bytes([t]) + f.to_bytes(4, "big") + bytes([g]) for t, f, g in rows)
    out += (b"7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 1] /Root 1 0 R /Length %d >>\nstream\n" % len(data)
            + data + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _objstm(n: bytes, first: bytes, body: bytes = b"1 0 2 40 3 80 ") -> bytes:
    payload = body.ljust(40) + CATALOG
    return b"<< /Type /ObjStm /N %s /First %s /Length %d >>\nstream\n" % (n, first, len(payload)) + payload + (
        b"\nendstream"
    )


@lru_cache(maxsize=1)
def bomb_stream(expanded: int = 1024 * 1024 * 1024) -> bytes:
    """Deflate data that inflates to ``expanded`` zero bytes (~1 MiB for 1 GiB)."""
    packer = zlib.compressobj(9)
    chunk = bytes(16 * 1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(expanded // len(chunk))]
    parts.append(packer.flush())
    return b"".join(parts)


def _bomb_xref() -> bytes:
    """The cross-reference stream itself is the bomb: a reader must inflate it to find any object."""
    body = bomb_stream()
    out = bytearray(HEADER)
    objects = [CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    where = []
    for num, obj in enumerate(objects, start=1):
        where.append(len(out))
        out += b"%d 0 obj\n" % num + obj + b"\nendobj\n"
    xref_at = len(out)
    out += (b"4 0 obj\n<< /Type /XRef /Size 5 /W [1 4 1] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n"
            % len(body) + body + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _bomb_object() -> bytes:
    body = bomb_stream()
    return b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def _circular_prev() -> bytes:
    """Two xref sections, each naming the other as /Prev."""
    base = assemble({1: CATALOG, 2: PAGES, 3: PAGE})
    first = base.rindex(b"\nxref\n") + 1
    placeholder = b"/Root 1 0 R /Prev 0000000000 >>\nstartxref"
    looped = base.replace(b"/Root 1 0 R >>\nstartxref", placeholder, 1)
    second = len(looped)
    looped = looped.replace(placeholder, b"/Root 1 0 R /Prev %010d >>\nstartxref" % second, 1)
    update = (b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 4 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
              % (first, second))
    return looped + update


def _self_prev() -> bytes:
    base = assemble({1: CATALOG, 2: PAGES, 3: PAGE})
    xref_at = base.rindex(b"\nxref\n") + 1
    return base.replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Prev %d >>" % xref_at, 1)


def hand_built(cms: bytes = b"") -> dict[str, bytes]:
    """Every hand-made hostile sample, by name; signature dictionaries carry ``cms`` (a real CMS signature
    from another document, so that a verifier gets past parsing it) where the sample is not about /Contents."""
    rnd = random.Random(15)

    def doc(**kw: Any) -> bytes:
        return signed_doc(cms=cms, **kw)

    samples: dict[str, bytes] = {
        "empty": b"",
        "not_pdf_random": rnd.randbytes(4096),
        "not_pdf_png": b"\x89PNG\r\n\x1a\n" + rnd.randbytes(2048),
        "header_only": b"%PDF-1.7\n",
        "header_and_eof": b"%PDF-1.7\n%%EOF\n",
        "header_then_garbage": b"%PDF-1.7\n" + rnd.randbytes(8192),
        # nesting
        "deep_arrays": assemble({1: b"<< /Type /Catalog /Pages 2 0 R /Deep " + _nested(b"[", b"]") + b" >>",
                                 2: PAGES, 3: PAGE}),
        "deep_dicts": assemble({1: b"<< /Type /Catalog /Pages 2 0 R /Deep " + _nested(b"<< /A ", b" >>") + b" >>",
                                2: PAGES, 3: PAGE}),
        "deep_arrays_unclosed": assemble({1: b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * DEPTH, 2: PAGES}),
        "deep_in_signature_value": doc(sig=b"<< /Type /Sig /ByteRange " + _nested(b"[", b"]") + b" >>"),
        "deep_in_field_value": doc(value=_nested(b"[", b"]")),
        # cross-reference table and trailer
        "xref_offsets_past_eof": assemble({1: CATALOG, 2: PAGES, 3: PAGE},
                                          offsets={n: b"9999999999 00000 n \n" for n in (1, 2, 3)}),
        "xref_offsets_garbage": assemble({1: CATALOG, 2: PAGES, 3: PAGE},
                                         offsets={1: b"00000abcde 0000x n \n", 2: b"-000000001 00000 n \n"}),
        "xref_offsets_into_other_objects": assemble({1: CATALOG, 2: PAGES, 3: PAGE},
                                                    offsets={1: b"0000000003 00000 n \n", 2: b"0000000020 00000 n \n"}),
        "xref_entry_truncated": assemble({1: CATALOG, 2: PAGES, 3: PAGE}, offsets={2: b"00000"}),
        "xref_huge_subsection": assemble({1: CATALOG, 2: PAGES, 3: PAGE}).replace(b"xref\n0 4\n", b"xref\n0 999999999\n"),
        "xref_negative_subsection": assemble({1: CATALOG, 2: PAGES, 3: PAGE}).replace(b"xref\n0 4\n", b"xref\n-5 -4\n"),
        "startxref_huge": assemble({1: CATALOG, 2: PAGES, 3: PAGE}, startxref=b"9" * 40),
        "startxref_negative": assemble({1: CATALOG, 2: PAGES, 3: PAGE}, startxref=b"-12"),
        "startxref_zero": assemble({1: CATALOG, 2: PAGES, 3: PAGE}, startxref=b"0"),
        "startxref_garbage": assemble({1: CATALOG, 2: PAGES, 3: PAGE}, startxref=b"abc"),
        "circular_prev": _circular_prev(),
        "self_prev": _self_prev(),
        "trailer_root_not_dict": assemble({1: b"42", 2: PAGES}),
        "trailer_root_missing": assemble({1: CATALOG, 2: PAGES, 3: PAGE}, trailer=b""),
        "trailer_size_huge": assemble({1: CATALOG, 2: PAGES, 3: PAGE}).replace(b"/Size 4", b"/Size 99999999999999"),
        # reference cycles
        "ref_chain_cycle": assemble({1: b"<< /Type /Catalog /Pages 7 0 R >>", 7: b"8 0 R", 8: b"7 0 R"}),
        "self_ref_object": assemble({1: b"1 0 R"}),
        "page_tree_cycle": assemble({1: b"<< /Type /Catalog /Pages 2 0 R >>",
                                     2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>"}),
        "field_kids_cycle": assemble({1: CATALOG, 2: PAGES, 3: PAGE, 4: b"<< /FT /Sig /T (seal) /Kids [4 0 R] >>"}),
        "acroform_fields_not_array": assemble({1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 5 >> >>",
                                               2: PAGES, 3: PAGE}),
        # signature dictionaries
        "sig_value_int": doc(value=b"42"),
        "sig_value_string": doc(value=b"(hello)"),
        "sig_value_array": doc(value=b"[1 2 3]"),
        "sig_value_null": doc(value=b"null"),
        "sig_value_name": doc(value=b"/Sig"),
        "sig_value_dangling_ref": doc(value=b"99 0 R"),
        "sig_value_stream": doc(sig=b"<< /Length 3 >>\nstream\nabc\nendstream"),
        "sig_empty_dict": doc(sig=b"<< >>"),
        "contents_int": doc(contents=b"5"),
        "contents_array": doc(contents=b"[1 2]"),
        "contents_dict": doc(contents=b"<< /A 1 >>"),
        "contents_name": doc(contents=b"/Contents"),
        "contents_empty_string": doc(contents=b"<>"),
        "contents_random_der": doc(contents=b"<3082" + rnd.randbytes(600).hex().encode() + b">"),
        "contents_odd_hex": doc(contents=b"<abc>"),
        "contents_missing": doc(sig=b"<< /Type /Sig /Filter /Adobe.PPKLite /ByteRange [0 10 20 30] >>"),
        "byte_range_negative": doc(byte_range=b"[0 -1 -5 10]"),
        "byte_range_huge": doc(byte_range=b"[0 99999999999999 99999999999999 99999999999999]"),
        "byte_range_overlapping": doc(byte_range=b"[0 400 200 400]"),
        "byte_range_past_eof": doc(byte_range=b"[0 100 200 9999999]"),
        "byte_range_short": doc(byte_range=b"[0 10]"),
        "byte_range_long": doc(byte_range=b"[" + b" ".join(b"%d" % i for i in range(100_000)) + b"]"),
        "byte_range_not_numbers": doc(byte_range=b"[(a) /B 1.5 null]"),
        "byte_range_reals": doc(byte_range=b"[0.5 1e308 -0.0 3.14]"),
        "byte_range_string": doc(byte_range=b"(0 1 2 3)"),
        # object streams
        "objstm_huge_n": _xref_stream_doc(_objstm(b"1000000000", b"40")),
        "objstm_negative_n": _xref_stream_doc(_objstm(b"-1", b"40")),
        "objstm_first_past_end": _xref_stream_doc(_objstm(b"3", b"99999999")),
        "objstm_garbage_header": _xref_stream_doc(_objstm(b"3", b"40", body=b"x y z w q r ")),
        "objstm_contains_itself": _xref_stream_doc(_objstm(b"1", b"40", body=b"6 0 ")),
        # stream lengths and filters
        "length_huge": doc(o6=b"<< /Length 999999999999 >>\nstream\nabc\nendstream"),
        "length_negative": doc(o6=b"<< /Length -100 >>\nstream\nabc\nendstream"),
        "length_self_reference": doc(o6=b"<< /Length 6 0 R >>\nstream\nabc\nendstream"),
        "xref_stream_length_huge": _xref_stream_doc(_objstm(b"3", b"40")).replace(b"/Length 48", b"/Length 99999999999"),
        "compression_bomb_xref": _bomb_xref(),
        "compression_bomb_stream": doc(o6=_bomb_object()),
    }
    return samples


def mutations(sealed: bytes) -> dict[str, bytes]:
    """A real sealed PDF, broken in the places a verifier reads."""
    out: dict[str, bytes] = {
        "sealed_truncated_half": sealed[: len(sealed) // 2],
        "sealed_truncated_head": sealed[:2000],
        "sealed_without_trailer": sealed[: sealed.rindex(b"startxref")],
        "sealed_startxref_huge": sealed[: sealed.rindex(b"startxref")] + b"startxref\n" + b"9" * 30 + b"\n%%EOF\n",
        "sealed_startxref_negative": sealed[: sealed.rindex(b"startxref")] + b"startxref\n-1\n%%EOF\n",
    }
    ranges = list(re.finditer(rb"/ByteRange\s*\[([^\]]*)\]", sealed))
    if ranges:
        span = ranges[-1].span(1)
        width = span[1] - span[0]

        def with_range(values: bytes) -> bytes:
            return sealed[: span[0]] + values.ljust(width)[:width] + sealed[span[1] :]

        out["sealed_byte_range_overlapping"] = with_range(b"0 900 100 900")
        out["sealed_byte_range_negative"] = with_range(b"0 -900 -1 5")
        out["sealed_byte_range_huge"] = with_range(b"0 99999999999 99999999999 1")
    contents = list(re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", sealed))
    if contents:
        start, end = contents[-1].span(1)
        out["sealed_contents_zeroed"] = sealed[:start] + b"0" * (end - start) + sealed[end:]
        out["sealed_contents_random"] = sealed[:start] + random.Random(3).randbytes((end - start) // 2).hex().encode() + (
            sealed[end:]
        )
    last_xref = sealed.rindex(b"startxref")
    tail = int(sealed[last_xref + len(b"startxref") :].split()[0])
    update_at = len(sealed)
    out["sealed_update_prev_loop"] = sealed + (
        b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (update_at, update_at)
    )
    out["sealed_update_prev_garbage"] = sealed + (
        b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Prev %d /Size -3 >>\nstartxref\n%d\n%%%%EOF\n" % (tail + 7, update_at)
    )
    rnd = random.Random(1515)
    for seed in range(6):
        data = bytearray(sealed)
        for _ in range(25):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        out[f"sealed_random_flips_{seed}"] = bytes(data)
    return out


def stall(*_args: Any) -> None:
    """A stand-in for the worker's examination that never finishes in time (for the timeout path)."""
    time.sleep(3600)


def grown(sealed: bytes, *, target: int = 9 * 1024 * 1024) -> bytes:
    """``sealed`` with an incremental update of small objects appended up to about ``target`` bytes (under
    the upload limit): what a verifier must parse, hash and compare with the sealed revision (seconds of
    pyHanko work for 9 MB). Nothing refers to the new objects, so the difference analysis lets them pass
    and the seal stays valid."""
    size = int(re.findall(rb"/Size (\d+)", sealed)[-1])
    root = re.findall(rb"/Root (\d+ \d+) R", sealed)[-1]
    prev = int(sealed[sealed.rindex(b"startxref") :].split()[1])
    rnd = random.Random(9)
    out = bytearray(sealed)
    offsets: list[int] = []
    per_object = 100  # bytes of an object below plus its 20-byte xref entry
    while len(out) + (len(offsets) + 1) * 20 + per_object < target - 1024:
        offsets.append(len(out))
        num = size + len(offsets) - 1
        out += b"%d 0 obj\n<< /N %d /S <%s> /Next %d 0 R >>\nendobj\n" % (num, num, rnd.randbytes(12).hex().encode(), num + 1)
    xref_at = len(out)
    out += b"xref\n%d %d\n" % (size, len(offsets)) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %s R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size + len(offsets), root, prev, xref_at)
    return bytes(out)
