"""signing: platform PKI, timestamp authority, Chinese PDF rendering, PAdES seals and their verification.

Functions take a SQLAlchemy ``session``; PKI rows are flushed into it and the caller commits. Private
keys are encrypted with ``get_settings().secret_key`` (``ONENUMBER_SECRET_KEY``) and the CRL / CA URLs
embedded in certificates come from ``get_settings().issuer``.
"""

from sqlalchemy.orm import Session

from signing.errors import SigningError
from signing.pki import root_pem
from signing.render import DocumentSpec, render_pdf
from signing.report import SignatureReport, VerificationReport
from signing.seal import seal_pdf, seal_pdf_sync
from signing.verify import verify_pdf, verify_pdf_sync


def root_certificate_pem(*, session: Session) -> str:
    """The platform root certificate (PEM), creating the PKI if needed."""
    return root_pem(session=session)


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
