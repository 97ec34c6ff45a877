"""Demo data of `idp` for `make run` (idempotent)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onenumber.settings import Settings


def seed(*, session: Session, settings: Settings, blob_store: object) -> list[str]:
    """Create this package's demo data if missing; return lines worth printing."""
    return []
