"""signing.asn1speed: the same DER as asn1crypto's own dump, with one encoding per mutated value."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from asn1crypto import algos, cms, core, tsp, x509

import signing  # noqa: F401  (importing signing installs the fix)
from signing import asn1speed


def _signed_data(serial: int) -> cms.ContentInfo:
    """A CMS SignedData built from Python values (every level mutated), nested as in a sealed PDF."""
    cert_id = tsp.ESSCertIDv2({"cert_hash": hashlib.sha256(b"seal").digest()})
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(b"doc").digest()]}),
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [
            tsp.SigningCertificateV2({"certs": [cert_id, cert_id.copy()]}),
        ]}),
    ])
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": x509.Name.build({"common_name": "示例 CA"}), "serial_number": serial,
        })}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": b"\x30\x06\x02\x01\x01\x02\x01\x01",
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {"content_type": "data"},
        "signer_infos": [signer],
    })})


def _materialise_defaults(info: cms.ContentInfo) -> None:
    """Read every default field, as a validator does (asn1crypto then holds those values as set)."""
    signer = info["content"]["signer_infos"][0]
    for attr in signer["signed_attrs"]:
        if attr["type"].native == "signing_certificate_v2":
            for cert_id in attr["values"][0]["certs"]:
                _ = cert_id["hash_algorithm"]["algorithm"].native


@pytest.fixture
def encodings() -> Iterator[Counter[str]]:
    """Counts of re-encodings (``_set_contents``) by class while the test runs."""
    counts: Counter[str] = Counter()
    originals = {cls: cls.__dict__["_set_contents"] for cls in (core.Sequence, core.SequenceOf)}

    def counting(cls: type) -> Any:
        def _set_contents(self: Any, force: bool = False) -> None:
            counts[type(self).__name__] += 1
            originals[cls](self, force)
        return _set_contents

    for cls in originals:
        cls._set_contents = counting(cls)
    try:
        yield counts
    finally:
        for cls, original in originals.items():
            cls._set_contents = original


def test_importing_signing_installs_the_fix() -> None:
    assert core.Asn1Value.dump is asn1speed._dump_once


def _with(dump: Any, scenario: Any) -> Any:
    """Run ``scenario`` with ``dump`` as ``Asn1Value.dump``; the fix is back in place afterwards."""
    core.Asn1Value.dump = dump
    try:
        return scenario()
    finally:
        asn1speed.install()


def _dump_change_dump() -> tuple[bytes, bytes]:
    """Encode, change the signature as a signer does once it has signed, encode again."""
    info = _signed_data(7)
    _materialise_defaults(info)
    first = info.dump()
    info["content"]["signer_infos"][0]["signature"] = b"\x30\x06\x02\x01\x02\x02\x01\x03"
    return first, info.dump()


def test_the_der_is_byte_for_byte_the_librarys() -> None:
    ours = _with(asn1speed._dump_once, _dump_change_dump)
    theirs = _with(asn1speed.library_dump(), _dump_change_dump)
    assert ours == theirs
    assert ours[0] != ours[1]  # the change was encoded
    for der in ours:
        assert cms.ContentInfo.load(der).dump(force=True) == der  # and it is DER


def test_each_mutated_value_is_encoded_once_per_dump(encodings: Counter[str]) -> None:
    info = _signed_data(7)
    _materialise_defaults(info)
    encodings.clear()  # building the values encodes some of them already
    info.dump()
    assert encodings["SignedData"] == 1 and encodings["SignerInfo"] == 1, encodings
    assert encodings["ESSCertIDv2"] == 2, encodings  # two of them, once each
    # each ESSCertIDv2's hash algorithm, and the default it is compared with to be left out (DER)
    assert encodings["DigestAlgorithm"] == 4, encodings
    assert sum(encodings.values()) == 12, encodings


def test_the_library_alone_multiplies_the_work(encodings: Counter[str]) -> None:
    """The same dump with the library's own method: what the fix removes (so the count above can fail)."""
    info = _signed_data(7)
    _materialise_defaults(info)
    encodings.clear()
    _with(asn1speed.library_dump(), info.dump)
    assert encodings["ESSCertIDv2"] > 100, encodings
