"""Small read-only queries the pages need that no other service offers (kept out of the route handlers)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.applications.models import Application, Result


def result_by_sha256(*, session: Session, sha256: str) -> tuple[Result, Application] | None:
    """The delivered application result whose sealed PDF has this SHA-256, with its application."""
    row = session.execute(
        select(Result, Application)
        .join(Application, Application.id == Result.application_id)
        .where(Result.pdf_sha256 == sha256)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None
