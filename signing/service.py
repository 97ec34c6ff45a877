"""What the router and the CLI call: published PKI artefacts, the TSA over HTTP, the demo document."""

from __future__ import annotations

from datetime import date

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from core.settings import Settings
from signing import crl, pki, tsa
from signing.errors import SigningError
from signing.render import DocumentSpec, render_pdf
from signing.seal import seal_pdf

DEMO_DEPARTMENT_NAME = "示例市行政审批局"
DEMO_DEPARTMENT_CODE = "11110000000137015K"
TSA_MAX_REQUEST = 16 * 1024


def root_der(*, session: Session, settings: Settings) -> bytes:
    """The platform root certificate, DER."""
    return bytes(pki.ensure_pki(session=session, settings=settings).root.cert_der)


def issuing_der(*, session: Session, settings: Settings) -> bytes:
    """The seal issuing CA certificate, DER (AIA caIssuers of end-entity certificates)."""
    return bytes(pki.ensure_pki(session=session, settings=settings).issuing.cert_der)


def crl_der(*, session: Session, settings: Settings, root: bool = False) -> bytes:
    """The current CRL of the issuing CA (``root=False``) or of the root CA."""
    ca = pki.ensure_pki(session=session, settings=settings)
    return bytes(crl.current(session=session, settings=settings, issuer=ca.root if root else ca.issuing).crl_der)


def chain_pem(*, session: Session, settings: Settings) -> str:
    """Root and issuing CA certificates, PEM (for ``openssl ts -verify -CAfile``)."""
    ca = pki.ensure_pki(session=session, settings=settings)
    return "".join(
        pki.crypto_cert(row).public_bytes(serialization.Encoding.PEM).decode()
        for row in (ca.root, ca.issuing)
    )


def timestamp_reply(*, session: Session, settings: Settings, query: bytes) -> bytes:
    """RFC 3161 §3.4: an ``application/timestamp-query`` body in, the DER reply out."""
    if len(query) > TSA_MAX_REQUEST:
        raise SigningError("timestamp query too large", code="request_too_large")
    return tsa.authority(session=session, settings=settings).respond_der(query)


def demo_spec(*, verify_url: str = "http://127.0.0.1:8000/verify/DEMO-0001") -> DocumentSpec:
    """A sample approval document of the demo department."""
    return DocumentSpec(
        title="准予行政许可决定书",
        subtitle="示例市行政审批局",
        holder_name="示例科技有限公司",
        holder_number_masked="9111**********341L",
        fields=[
            ("许可事项", "食品经营许可（新办）"),
            ("经营场所", "示例市示例区人民路1号"),
            ("经营项目", "热食类食品制售；冷食类食品制售；自制饮品制售"),
            ("审批结论", "经审查，申请材料齐全、符合法定形式，决定准予行政许可。"),
        ],
        issuer_name=DEMO_DEPARTMENT_NAME,
        issuer_code=DEMO_DEPARTMENT_CODE,
        identifier="示审许〔2026〕0001号",
        verify_url=verify_url,
        issued_on=date.today(),
        valid_until=None,
    )


async def sign_demo(*, session: Session, settings: Settings, level: str = "B-T", approver_name: str | None = "王五") -> bytes:
    """Render and seal the demo approval with the demo department's seal."""
    pdf = render_pdf(demo_spec(verify_url=f"{settings.issuer.rstrip('/')}/verify/DEMO-0001"))
    return await seal_pdf(
        session=session, settings=settings,
        pdf=pdf,
        department_name=DEMO_DEPARTMENT_NAME,
        department_code=DEMO_DEPARTMENT_CODE,
        approver_name=approver_name,
        level=level,
    )
