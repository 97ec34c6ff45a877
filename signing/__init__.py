"""signing: platform PKI, timestamp authority, Chinese PDF rendering, PAdES seals and their verification.

Functions take a SQLAlchemy ``session`` and the platform ``settings``; PKI rows are flushed into the
session and the caller commits. Private keys are encrypted with ``settings.secret_key`` (the master key)
and the CRL / CA URLs embedded in certificates come from ``settings.issuer``: signing reads no global
configuration (only the entry points in signing/cli.py read the environment).
"""

from sqlalchemy.orm import Session

from core.settings import Settings
from signing import asn1speed
from signing.errors import SigningError
from signing.pki import root_pem
from signing.render import DocumentSpec, render_pdf
from signing.report import SignatureReport, VerificationReport
from signing.seal import seal_pdf, seal_pdf_sync
from signing.verify import verify_pdf, verify_pdf_sync

asn1speed.install()  # before anything is sealed or verified (see the module)


def root_certificate_pem(*, session: Session, settings: Settings) -> str:
    """The platform root certificate (PEM), creating the PKI if needed."""
    return root_pem(session=session, settings=settings)


__all__ = [
    "DocumentSpec",
    "SignatureReport",
    "SigningError",
    "VerificationReport",
    "render_pdf",
    "root_certificate_pem",
    "seal_pdf",
    "seal_pdf_sync",
    "verify_pdf",
    "verify_pdf_sync",
]
