"""Master-key rotation (``onenumber keys rotate-master``): one transaction re-encrypts every encrypted column
and recomputes every blind index and keyed hash derived from ``ONENUMBER_SECRET_KEY``.

What cannot be carried over is said in the report: web-hall sessions (their cookie ids are keyed hashes
of values the server never stored) are ended, and confidential clients other than the hall (whose secret
is derived from the master key and re-derived here) get new secrets, because only keyed hashes of their
old secrets are stored. Run it with the application stopped, then restart every process on the new key.
The holder indexes are recomputed by :mod:`onenumber.reindex`, the code migration 0006 runs too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from channels.models import WebSession
from core import worklog
from core.crypto import encrypt_str, key_id
from core.settings import Settings
from idp.keys.models import SigningKey
from idp.oauth import clients as client_service
from idp.oauth.models import Client, RefreshToken
from idp.parties.models import LoginThrottle, NumberAttempt, Person
from idp.seed import hall_client_secret
from onenumber.reindex import (
    PERSON_NUMBER_CONTEXT,
    Reindex,
    RekeyError,
    column_name,
    end_web_sessions,
    index_columns,
    json_index_columns,
    kinded,
    rewrite_column,
)
from signing.keys.software import KEY_CONTEXT as SIGNING_KEY_CONTEXT
from signing.models import PkiCertificate
from wallet.applications.models import Application
from wallet.applications.service import NUMBER_CONTEXT, QUERY_CODE_CONTEXT
from wallet.licenses.keys import KEY_CONTEXT as WALLET_KEY_CONTEXT
from wallet.licenses.models import License, WalletKey
from wallet.licenses.service import HOLDER_NUMBER_CONTEXT

__all__ = ["RekeyError", "RotationReport", "encrypted_columns", "handled_columns", "rotate_master"]


@dataclass(frozen=True)
class RotationReport:
    """What a rotation changed: rows per column, and the new secrets of confidential clients (shown once)."""

    old_key_id: str
    new_key_id: str
    counts: dict[str, int]
    client_secrets: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False


def encrypted_columns() -> list[tuple[InstrumentedAttribute[Any], str]]:
    """Every column holding ``encrypt_str`` output, with its associated-data context."""
    return [
        (Person.number_cipher, PERSON_NUMBER_CONTEXT),  # idp.parties.service
        (Person.totp_cipher, "person.totp"),  # idp.parties.service
        (SigningKey.private_cipher, "idp.key"),  # idp.keys.service
        (RefreshToken.child_cipher, "idp.refresh.child"),  # idp.oauth.refresh
        (PkiCertificate.key_cipher, SIGNING_KEY_CONTEXT),
        (WalletKey.private_key_cipher, WALLET_KEY_CONTEXT),
        (License.holder_number_cipher, HOLDER_NUMBER_CONTEXT),
        (Application.query_code_cipher, QUERY_CODE_CONTEXT),
        (Application.applicant_number_cipher, NUMBER_CONTEXT),
    ]


def handled_columns() -> set[str]:
    """``table.column`` of everything this module rewrites (a test checks no keyed column is missed)."""
    attrs = [a for a, _ in encrypted_columns()] + [c.attr for c in index_columns()]
    attrs += [a for a, _ in json_index_columns()]
    attrs += [Client.secret_hash, LoginThrottle.key, License.request_hash, WebSession.data_cipher,
              NumberAttempt.number_index]
    return {column_name(a) for a in attrs}


class _Rotation:
    def __init__(self, session: Session, settings: Settings, new_key: str) -> None:
        self.session = session
        self.old = settings.secret_key
        self.new = new_key
        self.settings = settings
        self.new_settings = settings.model_copy(update={"secret_key": new_key})
        # the holder indexes (and what derives from them): the same code as migration 0006
        self.reindex = Reindex(session, master_key=self.old, old=kinded(self.old), new=kinded(new_key))
        self.counts = self.reindex.counts

    def reencrypt(self) -> None:
        for attr, context in encrypted_columns():

            def change(token: str, attr: Any = attr, context: str = context) -> str:
                plain = self.reindex.decrypt(attr, context, token)
                return encrypt_str(plain, master_key=self.new, context=context)

            self.counts[column_name(attr)] = rewrite_column(self.session, attr, change)

    def clients(self) -> dict[str, str]:
        issued: dict[str, str] = {}
        rows = 0
        for row in self.session.execute(select(Client).where(Client.secret_hash.is_not(None))).scalars():
            if row.client_id == "hall" and row.secret_hash == client_service.hash_secret(
                hall_client_secret(self.settings), settings=self.settings
            ):
                secret = hall_client_secret(self.new_settings)  # derived: nothing to hand out
            else:
                secret = issued[row.client_id] = secrets.token_urlsafe(32)
            row.secret_hash = client_service.hash_secret(secret, settings=self.new_settings)
            rows += 1
        self.session.flush()
        self.counts["idp_client.secret_hash"] = rows
        return issued

    def web_sessions(self) -> None:
        self.counts["wallet_web_session (ended)"] = end_web_sessions(self.session)


def rotate_master(*, session: Session, settings: Settings, new_key: str, dry_run: bool = False) -> RotationReport:
    """Re-encrypt and re-index everything under ``new_key`` in one transaction (rolled back on a dry run)."""
    if not new_key or new_key == settings.secret_key:
        raise RekeyError("the new master key must be given and differ from the current one")
    if not settings.is_development and len(new_key) < 32:
        raise RekeyError("the new master key must be at least 32 characters in production")
    rotation = _Rotation(session, settings, new_key)
    try:
        rotation.reindex.run()  # refuses unknown indexes before anything is written
        rotation.reencrypt()
        issued = rotation.clients()
        rotation.web_sessions()
        report = RotationReport(key_id(settings.secret_key), key_id(new_key), rotation.counts, issued, dry_run)
        worklog.append(
            session=session,
            actor="system",
            action="onenumber.master_key.rotated",
            object=f"master-key:{report.new_key_id}",
            details={"from": report.old_key_id, "rows": sum(rotation.counts.values()),
                     "new_client_secrets": sorted(issued)},
        )
    except BaseException:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report
