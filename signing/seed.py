"""Demo data of `signing` for `make run` (idempotent): the PKI and the demo department's seal."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.settings import Settings
from signing import pki
from signing.service import DEMO_DEPARTMENT_CODE, DEMO_DEPARTMENT_NAME

__all__ = ["DEMO_DEPARTMENT_CODE", "DEMO_DEPARTMENT_NAME", "seed"]


def seed(*, session: Session, settings: Settings, blob_store: object) -> list[str]:
    """Create this package's demo data if missing; return lines worth printing."""
    ca = pki.ensure_pki(session=session, settings=settings)
    seal = pki.current_seal(
        session=session, settings=settings, department_name=DEMO_DEPARTMENT_NAME, department_code=DEMO_DEPARTMENT_CODE
    )
    base = settings.issuer.rstrip("/")
    return [
        f"signing: root CA serial {ca.root.serial} — download {base}/pki/root.pem (see docs/TRUST.md)",
        f"signing: seal of {DEMO_DEPARTMENT_NAME} ({DEMO_DEPARTMENT_CODE}) serial {seal.serial}",
    ]
