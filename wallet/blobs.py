"""Every blob the wallet still refers to (license PDFs, uploaded documents, sealed results)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.applications.models import Document, Result
from wallet.licenses import service as license_service


def referenced_blob_keys(session: Session) -> set[str]:
    """Keys ``onenumber storage gc`` must keep."""
    keys = license_service.referenced_blob_keys(session)
    keys |= set(session.execute(select(Document.blob_key)).scalars().all())
    keys |= set(session.execute(select(Result.pdf_blob_key)).scalars().all())
    return keys
