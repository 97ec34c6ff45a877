"""RFC 3161 — Time-Stamp Protocol (TSP), the platform's own timestamp authority.
https://www.rfc-editor.org/rfc/rfc3161

The same core answers ``POST /tsa`` and, in-process, pyHanko's ``TimeStamper`` interface (no HTTP
round trip when the platform seals its own documents). Tokens are signed with the TSA's ECDSA P-256
key; its certificate carries the critical extendedKeyUsage timeStamping (§2.3).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.settings import Settings
from signing import pki

# A UUID-based OID (ITU-T X.667 arc 2.25) naming the platform's timestamping policy.
POLICY_OID = "2.25.200238155364329418745373046187430245726"
_DIGESTS: dict[str, tuple[int, hashes.HashAlgorithm]] = {
    "sha256": (32, hashes.SHA256()),
    "sha384": (48, hashes.SHA384()),
    "sha512": (64, hashes.SHA512()),
}


class RejectionResp(core.Sequence):
    """A TimeStampResp without a token (asn1crypto's class insists on one)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(fail_info: str, text: str) -> tsp.TimeStampResp:
    # §2.4.2: status rejection with one PKIFailureInfo bit; same wire shape as TimeStampResp
    return RejectionResp(  # type: ignore[return-value]
        {
            "status": tsp.PKIStatusInfo(
                {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info})}
            )
        }
    )


def _der_sequence(*parts: bytes) -> bytes:
    body = b"".join(parts)
    n = len(body)
    if n < 0x80:
        return b"\x30" + bytes([n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(size)]) + size + body


class TimestampAuthority:
    """The TSA: a certificate, its key, and the chain to embed when the requester asks for it."""

    def __init__(
        self,
        *,
        cert: asn1_x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        chain: Sequence[asn1_x509.Certificate] = (),
    ) -> None:
        self.cert = cert
        self.key = key
        self.chain = list(chain)
        # Pre-encoded once: asn1crypto copies nested Names slowly (~5 ms) when values are reused.
        self._signing_certificate_der = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(cert)
        ).dump()
        self._sid_der = cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number}
        ).dump()

    def respond(self, req: tsp.TimeStampReq, *, now: datetime | None = None) -> tsp.TimeStampResp:
        """Answer one request (§2.4.2); problems become a ``rejection`` reply, never an exception."""
        try:
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            policy = req["req_policy"].native
            has_extensions = bool(req["extensions"].native)
            nonce = req["nonce"].native
            cert_req = bool(req["cert_req"].native)
        except (ValueError, TypeError, KeyError) as exc:
            return _rejection("bad_data_format", f"malformed request: {exc}")
        if algorithm not in _DIGESTS:
            return _rejection("bad_alg", f"unsupported hash algorithm {algorithm}")
        if not isinstance(digest, bytes) or len(digest) != _DIGESTS[algorithm][0]:
            return _rejection("bad_data_format", "message imprint has the wrong length")
        if policy is not None and policy != POLICY_OID:
            return _rejection("unaccepted_policy", f"policy {policy} is not offered")
        if has_extensions:
            return _rejection("unaccepted_extension", "no extensions are supported")
        gen_time = now or utcnow()
        info: dict[str, object] = {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(63),
            "gen_time": core.GeneralizedTime(gen_time),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.cert.subject),
        }
        if nonce is not None:
            info["nonce"] = nonce
        token = self._sign(tsp.TSTInfo(info).dump(), include_certs=cert_req)
        status = tsp.PKIStatusInfo({"status": "granted"})
        # Assemble the outer SEQUENCE from DER: asn1crypto re-encodes a token nested into a new
        # TimeStampResp super-linearly (~80 ms); parsing it back lazily costs nothing.
        return tsp.TimeStampResp.load(_der_sequence(status.dump(), token.dump()))

    def _sign(self, tst_info: bytes, *, include_certs: bool) -> cms.ContentInfo:
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_info)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("message_digest", digest.finalize()),
                cms.CMSAttribute.load(self._signing_certificate_der),  # ESSCertIDv2 (§2.4.2, RFC 5816)
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {"issuer_and_serial_number": cms.IssuerAndSerialNumber.load(self._sid_der)}
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed_data: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info)},
            "signer_infos": [signer_info],
        }
        if include_certs:
            signed_data["certificates"] = [self.cert, *self.chain]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})

    def respond_der(self, body: bytes) -> bytes:
        """``application/timestamp-query`` in, ``application/timestamp-reply`` out."""
        try:
            req = tsp.TimeStampReq.load(body)
            req.native  # noqa: B018 - force a full parse so malformed input is caught here
        except (ValueError, TypeError, KeyError) as exc:
            return _rejection("bad_data_format", f"not a TimeStampReq: {exc}").dump()
        return self.respond(req).dump()


class InProcessTimeStamper(TimeStamper):
    """pyHanko ``TimeStamper`` that asks the platform TSA directly (the in-process fast path)."""

    def __init__(self, authority: TimestampAuthority, *, now: datetime | None = None) -> None:
        super().__init__(include_nonce=True)
        self.authority = authority
        self.now = now

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.authority.respond(req, now=self.now)


_timestampers: dict[str, InProcessTimeStamper] = {}


def authority(*, session: Session, settings: Settings) -> TimestampAuthority:
    """The platform TSA, built from the PKI (the key is decrypted once per process)."""
    tsa = pki.ensure_pki(session=session, settings=settings).tsa
    return TimestampAuthority(
        cert=pki.asn1_cert(tsa),
        key=pki.software_key(tsa, master_key=settings.secret_key),
        chain=[pki.asn1_cert(c) for c in pki.chain(session=session, row=tsa)],
    )


def timestamper(*, session: Session, settings: Settings) -> InProcessTimeStamper:
    """A cached in-process timestamper (pyHanko caches its size-estimation dummy token per instance)."""
    tsa = pki.ensure_pki(session=session, settings=settings).tsa
    stamper = _timestampers.get(tsa.fingerprint)
    if stamper is None:
        stamper = _timestampers[tsa.fingerprint] = InProcessTimeStamper(authority(session=session, settings=settings))
    return stamper
