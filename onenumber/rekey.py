"""Master-key rotation (``onenumber keys rotate-master``): one transaction re-encrypts every encrypted column
and recomputes every blind index and keyed hash derived from ``ONENUMBER_SECRET_KEY``.

What cannot be carried over is said in the report: web-hall sessions (their cookie ids are keyed hashes
of values the server never stored) are ended, and confidential clients other than the hall (whose secret
is derived from the master key and re-derived here) get new secrets, because only keyed hashes of their
old secrets are stored. Run it with the application stopped, then restart every process on the new key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from channels.models import WebSession
from core import worklog
from core.crypto import DecryptionError, decrypt_str, encrypt_str, holder_index, key_id
from core.settings import Settings
from idp.keys.models import SigningKey
from idp.oauth import clients as client_service
from idp.oauth.models import AuthorizationCode, Client, DeviceCode, RefreshToken
from idp.parties.models import LoginThrottle, NumberAttempt, Organization, Person
from idp.seed import hall_client_secret
from signing.keys.software import KEY_CONTEXT as SIGNING_KEY_CONTEXT
from signing.models import PkiCertificate
from wallet.applications.models import Application, Appointment, Complaint, Document
from wallet.applications.service import NUMBER_CONTEXT, QUERY_CODE_CONTEXT
from wallet.catalog.models import Department, LicenseType
from wallet.licenses import service as license_service
from wallet.licenses.keys import KEY_CONTEXT as WALLET_KEY_CONTEXT
from wallet.licenses.models import AccessLog, License, UseGrant, WalletKey
from wallet.licenses.service import HOLDER_NUMBER_CONTEXT


class RekeyError(ValueError):
    """The rotation was refused; nothing was changed."""


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
        (Person.number_cipher, "person.number"),  # idp.parties.service
        (Person.totp_cipher, "person.totp"),  # idp.parties.service
        (SigningKey.private_cipher, "idp.key"),  # idp.keys.service
        (RefreshToken.child_cipher, "idp.refresh.child"),  # idp.oauth.refresh
        (PkiCertificate.key_cipher, SIGNING_KEY_CONTEXT),
        (WalletKey.private_key_cipher, WALLET_KEY_CONTEXT),
        (License.holder_number_cipher, HOLDER_NUMBER_CONTEXT),
        (Application.query_code_cipher, QUERY_CODE_CONTEXT),
        (Application.applicant_number_cipher, NUMBER_CONTEXT),
    ]


def index_columns() -> list[InstrumentedAttribute[Any]]:
    """Every column holding a holder index (``holder_index(number)``)."""
    return [
        Person.number_index,
        License.holder_index,
        UseGrant.holder_index,
        AccessLog.holder_index,
        Document.holder_index,
        Application.applicant_index,
        Application.submitter_index,
        Complaint.complainant_index,
        Appointment.holder_index,
    ]


def json_index_columns() -> list[InstrumentedAttribute[Any]]:
    """JSON columns that may carry holder indexes (``hid`` of stored login facts and ``act_for``)."""
    return [RefreshToken.claims, DeviceCode.claims, AuthorizationCode.act_for]


def handled_columns() -> set[str]:
    """``table.column`` of everything this module rewrites (a test checks no keyed column is missed)."""
    attrs = [a for a, _ in encrypted_columns()] + index_columns() + json_index_columns()
    attrs += [Client.secret_hash, LoginThrottle.key, License.request_hash, WebSession.data_cipher,
              NumberAttempt.number_index]
    return {_name(a) for a in attrs}


def _name(attr: InstrumentedAttribute[Any]) -> str:
    return f"{attr.class_.__tablename__}.{attr.key}"


def _pk(attr: InstrumentedAttribute[Any]) -> Any:
    (pk,) = attr.class_.__table__.primary_key.columns
    return pk


def _rewrite(session: Session, attr: InstrumentedAttribute[Any], change: Callable[[Any], Any]) -> int:
    """Set ``attr`` to ``change(value)`` on every row where that is not None; return how many rows changed."""
    pk = _pk(attr)
    rows = session.execute(select(pk.label("id_"), attr.label("value")).where(attr.is_not(None))).all()
    updates = [{"id_": r.id_, "new_": new} for r in rows if (new := change(r.value)) is not None]
    stmt = update(attr.class_.__table__).where(pk == bindparam("id_")).values({attr.key: bindparam("new_")})
    for start in range(0, len(updates), 1000):
        session.execute(stmt, updates[start : start + 1000], execution_options={"synchronize_session": False})
    return len(updates)


class _Rotation:
    def __init__(self, session: Session, settings: Settings, new_key: str) -> None:
        self.session = session
        self.old = settings.secret_key
        self.new = new_key
        self.settings = settings
        self.new_settings = settings.model_copy(update={"secret_key": new_key})
        self.counts: dict[str, int] = {}
        self.index_map: dict[str, str] = {}

    def decrypt(self, attr: InstrumentedAttribute[Any], context: str, token: str) -> str:
        try:
            return decrypt_str(token, master_key=self.old, context=context)
        except DecryptionError as exc:
            raise RekeyError(
                f"{_name(attr)}: a value does not decrypt under the current master key ({exc}); "
                "is ONENUMBER_SECRET_KEY the key the data was written with?"
            ) from exc

    def learn(self, numbers: Iterable[str]) -> None:
        for number in numbers:
            self.index_map[holder_index(number, master_key=self.old)] = holder_index(number, master_key=self.new)

    def known_numbers(self) -> None:
        """Map old → new holder index for every number the database knows in clear or encrypted."""
        for attr, context in encrypted_columns():
            if context in ("person.number", "license.holder_number", "application.applicant_number"):
                tokens = self.session.execute(select(attr).where(attr.is_not(None)).distinct()).scalars()
                self.learn(self.decrypt(attr, context, t) for t in tokens)
        self.learn(self.session.execute(select(Organization.credit_code)).scalars())
        self.learn(self.session.execute(select(Department.credit_code)).scalars())

    def reencrypt(self) -> None:
        for attr, context in encrypted_columns():

            def change(token: str, attr: Any = attr, context: str = context) -> str:
                plain = self.decrypt(attr, context, token)
                return encrypt_str(plain, master_key=self.new, context=context)

            self.counts[_name(attr)] = _rewrite(self.session, attr, change)

    def check_indexes(self) -> None:
        """Refuse (before writing anything) when an index belongs to a number the database does not hold."""
        unknown: dict[str, int] = {}
        for attr in index_columns():
            values = set(self.session.execute(select(attr).where(attr.is_not(None)).distinct()).scalars())
            if values - self.index_map.keys():
                unknown[_name(attr)] = len(values - self.index_map.keys())
        if unknown:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(unknown.items()))
            raise RekeyError(f"holder indexes of numbers the database does not hold ({detail}); nothing changed")

    def reindex(self) -> None:
        for attr in index_columns():
            self.counts[_name(attr)] = _rewrite(self.session, attr, self.index_map.__getitem__)
        for attr in json_index_columns():

            def change_json(value: Any) -> Any:
                new = self._swap(value)
                return None if new == value else new

            self.counts[_name(attr)] = _rewrite(self.session, attr, change_json)

    def _swap(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._swap(v) for v in value]
        if isinstance(value, str):
            return self.index_map.get(value, value)
        return value

    def throttles(self) -> None:
        """Per-account login counters are keyed ``account:<index>``: carry them over (others are transient)."""
        moved = dropped = 0
        keys = self.session.execute(select(LoginThrottle.key).where(LoginThrottle.key.startswith("account:")))
        for key in keys.scalars().all():
            new = self.index_map.get(key.removeprefix("account:"))
            if new is None:  # failures against a number nobody registered
                self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
                dropped += 1
            else:
                self.session.execute(
                    update(LoginThrottle).where(LoginThrottle.key == key).values(key=f"account:{new}")
                )
                moved += 1
        self.counts["idp_login_throttle.key"] = moved
        self.counts["idp_login_throttle (dropped)"] = dropped

    def request_hashes(self) -> None:
        """Idempotency fingerprints of issuances contain the holder index: recompute those that check out."""
        rows = self.session.execute(
            select(License.id, License.request_hash, License.holder_index, License.holder_name, License.data,
                   License.valid_from, License.valid_until, LicenseType.type_code)
            .join(LicenseType, LicenseType.id == License.type_id)
            .where(License.request_hash.is_not(None))
        ).all()
        changed = 0
        for row in rows:
            parts = dict(type_code=row.type_code, holder_name=row.holder_name, data=row.data,
                         valid_from=row.valid_from, valid_until=row.valid_until)
            if license_service.issue_request_hash(hid=row.holder_index, **parts) != row.request_hash:
                continue  # cannot be proven: a replay with this key will be refused, never duplicated
            new = license_service.issue_request_hash(hid=self.index_map[row.holder_index], **parts)
            self.session.execute(update(License).where(License.id == row.id).values(request_hash=new))
            changed += 1
        self.counts["wallet_license.request_hash"] = changed

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
        result = self.session.execute(delete(WebSession))
        self.counts["wallet_web_session (ended)"] = int(getattr(result, "rowcount", 0) or 0)

    def number_attempts(self) -> None:
        """Registration and proofing attempts per number only throttle for a day, and may name numbers
        the platform never learnt (no index to map): they are dropped, not re-indexed."""
        result = self.session.execute(delete(NumberAttempt))
        self.counts["idp_number_attempt (dropped)"] = int(getattr(result, "rowcount", 0) or 0)


def rotate_master(*, session: Session, settings: Settings, new_key: str, dry_run: bool = False) -> RotationReport:
    """Re-encrypt and re-index everything under ``new_key`` in one transaction (rolled back on a dry run)."""
    if not new_key or new_key == settings.secret_key:
        raise RekeyError("the new master key must be given and differ from the current one")
    if not settings.is_development and len(new_key) < 32:
        raise RekeyError("the new master key must be at least 32 characters in production")
    rotation = _Rotation(session, settings, new_key)
    try:
        rotation.known_numbers()
        rotation.check_indexes()
        rotation.request_hashes()  # reads the old holder indexes: before reindex
        rotation.reindex()
        rotation.throttles()
        rotation.reencrypt()
        issued = rotation.clients()
        rotation.web_sessions()
        rotation.number_attempts()
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
