"""One encoding per mutated ASN.1 value and per ``dump()``, instead of one per read of its contents.

asn1crypto 1.5.1 (the latest release) re-encodes a mutated ``Sequence`` / ``SequenceOf`` every time its
``contents`` is read, and ``Asn1Value.dump`` reads it two or three times (the value, its length for the
header, once more per explicit tag). A mutated value stays mutated, and so does every value above it, so
each level of nesting multiplies the work: dumping a sealed PDF's 4.7 KB CMS whose ``ESSCertIDv2`` had its
default hash algorithm materialised took 1.44 million re-encodings and 8–37 s — inside the seal, on
every issuance that met it (upstream: wbond/asn1crypto#256, open).

:func:`install` makes ``dump`` read ``contents`` once and build the header from those same bytes. The
output is byte for byte what the library produced (nothing can change between the reads), and a value
changed later is re-encoded as before, because mutation tracking is untouched. Importing :mod:`signing`
installs it; tests/signing/test_asn1speed.py compares both encodings and counts the re-encodings.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import core

_LIBRARY_DUMP = core.Asn1Value.dump


def _dump_once(self: Any, force: bool = False) -> bytes:
    """``Asn1Value.dump`` of asn1crypto 1.5.1, with ``self.contents`` read once."""
    contents = self.contents
    if self._header is not None and self._header[-1:] == b"\x80":  # indefinite length: re-encode
        force = True
    if self._header is None or force:
        if isinstance(self, core.Constructable) and self._indefinite:
            self.method = 0
        header = core._dump_header(self.class_, self.method, self.tag, contents)
        if self.explicit is not None:
            for class_, tag in self.explicit:
                header = core._dump_header(class_, 1, tag, header + contents) + header
        self._header = header
        self._trailer = b""
    result: bytes = self._header + contents + self._trailer
    return result


def install() -> None:
    """Use :func:`_dump_once` for every value that inherits ``Asn1Value.dump`` (idempotent)."""
    core.Asn1Value.dump = _dump_once  # type: ignore[method-assign]


def library_dump() -> Any:
    """The library's own ``dump`` (for the test that compares the two)."""
    return _LIBRARY_DUMP
