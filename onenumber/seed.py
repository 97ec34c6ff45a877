"""Idempotent demo data for ``make run``: each package contributes a seeder, run in order."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.settings import Settings
from idp.seed import seed as seed_idp
from signing.seed import seed as seed_signing
from wallet.seed import seed as seed_wallet

Seeder = Callable[..., list[str]]


def seeders() -> list[Seeder]:
    """Seeders in dependency order: identities, then PKI, then wallet data."""
    return [seed_idp, seed_signing, seed_wallet]


def run(*, session: Session, settings: Settings, blob_store: object) -> list[str]:
    """Run every seeder in one transaction per seeder; return the lines to print (accounts, URLs)."""
    lines: list[str] = []
    for seeder in seeders():
        lines.extend(seeder(session=session, settings=settings, blob_store=blob_store))
        session.commit()
    return lines
