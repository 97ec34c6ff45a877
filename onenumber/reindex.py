"""Recompute every holder index of the database from the numbers it holds, inside the caller's transaction.

Two callers run this same code: ``onenumber keys rotate-master`` (:mod:`onenumber.rekey`: the same scheme under a
new master key) and migration 0006 (issue 14.2: the index of the number alone becomes the index of the holder kind
and the number, :func:`core.crypto.holder_index`). A holder index is a keyed hash, so it is recomputed in Python,
never in SQL: every number the database knows (persons', license holders' and applicants', decrypted; organisations'
and departments' credit codes) is learnt with the kind of holder it names there, giving old index → {kind: new}.

An old index known under one kind has one new index. One known under both kinds (a string valid as a resident ID and
as a credit code, held by a person and by an organisation under the old scheme) is told apart by the row: each index
column says where its holder's kind comes from (a constant, the row, or the row it points at). Rows that cannot say
(ambiguous), and indexes of numbers the database does not hold (unknown), are refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnClause, String, bindparam, case, delete, func, literal_column, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from channels.models import WebSession
from core.crypto import DecryptionError, decrypt_str, holder_index
from identifiers import Kind
from idp.oauth.models import AuthorizationCode, DeviceCode, RefreshToken
from idp.parties.models import LoginThrottle, NumberAttempt, Organization, Person
from wallet.applications.models import Application, ApplicationMaterial, Appointment, Complaint, Document
from wallet.applications.service import NUMBER_CONTEXT
from wallet.catalog.models import Department, LicenseType
from wallet.licenses import service as license_service
from wallet.licenses.models import AccessLog, License, UseGrant
from wallet.licenses.service import HOLDER_NUMBER_CONTEXT
from wallet.services.models import ServiceItem

PERSON = Kind.PERSON.value
ORGANIZATION = Kind.ORGANIZATION.value
PERSON_NUMBER_CONTEXT = "person.number"  # idp.parties.service

# SQL constants, not bound parameters: PostgreSQL cannot type a parameter alone in a CASE of a select list
_PERSON_SQL: ColumnClause[str] = literal_column(f"'{PERSON}'", String())
_ORG_SQL: ColumnClause[str] = literal_column(f"'{ORGANIZATION}'", String())

Scheme = Callable[[str, str], str]  # (holder kind, number) → holder index


class RekeyError(ValueError):
    """The recomputation was refused; nothing was changed."""


def kinded(master_key: str) -> Scheme:
    """The holder index of this revision (kind and number) under ``master_key``."""
    return lambda kind, number: holder_index(kind, number, master_key=master_key)


@dataclass(frozen=True)
class IndexColumn:
    """A column of holder indexes, and where each row's holder kind comes from: a kind, or an SQL expression of
    the row (NULL when the row cannot say)."""

    attr: InstrumentedAttribute[Any]
    kind: Any


def _license_kind(license_id: Any) -> Any:
    return select(License.holder_kind).where(License.id == license_id).scalar_subquery()


def index_columns() -> list[IndexColumn]:
    """Every column holding a holder index (``holder_index(kind, number)``)."""
    type_kind = select(LicenseType.holder_kind).where(LicenseType.id == UseGrant.type_id).scalar_subquery()
    document_kind = (
        select(Application.applicant_kind)
        .join(ApplicationMaterial, ApplicationMaterial.application_id == Application.id)
        .where(ApplicationMaterial.document_id == Document.id)
        .limit(1)
        .scalar_subquery()
    )
    item_category = select(ServiceItem.category).where(ServiceItem.id == Appointment.item_id).scalar_subquery()
    return [
        IndexColumn(Person.number_index, PERSON),
        IndexColumn(License.holder_index, License.holder_kind),
        IndexColumn(UseGrant.holder_index, func.coalesce(_license_kind(UseGrant.license_id), type_kind)),
        IndexColumn(AccessLog.holder_index, _license_kind(AccessLog.license_id)),
        IndexColumn(Document.holder_index, document_kind),  # the applicant of an application that used it
        IndexColumn(Application.applicant_index, Application.applicant_kind),
        IndexColumn(Application.submitter_index, PERSON),  # the person who submitted (None at a counter)
        IndexColumn(Complaint.complainant_index, PERSON),
        # applicant.from_caller: a business item is booked for the organisation the person acts for
        IndexColumn(Appointment.holder_index, case((item_category == "business", _ORG_SQL), else_=_PERSON_SQL)),
    ]


def json_index_columns() -> list[tuple[InstrumentedAttribute[Any], str]]:
    """JSON columns that may carry holder indexes, with the kind of their top level: ``hid`` of stored login
    facts names the person, anything under ``act_for`` the organisation."""
    return [(RefreshToken.claims, PERSON), (DeviceCode.claims, PERSON), (AuthorizationCode.act_for, ORGANIZATION)]


def column_name(attr: InstrumentedAttribute[Any]) -> str:
    """``table.column`` of a mapped attribute."""
    return f"{attr.class_.__tablename__}.{attr.key}"


def _pk(attr: InstrumentedAttribute[Any]) -> Any:
    (pk,) = attr.class_.__table__.primary_key.columns
    return pk


def _update(session: Session, attr: InstrumentedAttribute[Any], updates: list[dict[str, Any]]) -> int:
    pk = _pk(attr)
    stmt = update(attr.class_.__table__).where(pk == bindparam("id_")).values({attr.key: bindparam("new_")})
    for start in range(0, len(updates), 1000):
        session.execute(stmt, updates[start : start + 1000], execution_options={"synchronize_session": False})
    return len(updates)


def rewrite_column(session: Session, attr: InstrumentedAttribute[Any], change: Callable[[Any], Any]) -> int:
    """Set ``attr`` to ``change(value)`` on every row where that is not None; return how many rows changed."""
    pk = _pk(attr)
    rows = session.execute(select(pk.label("id_"), attr.label("value")).where(attr.is_not(None))).all()
    return _update(session, attr, [{"id_": r.id_, "new_": new} for r in rows if (new := change(r.value)) is not None])


def end_web_sessions(session: Session) -> int:
    """End every hall web session (their cookie ids and cached tokens carry values being re-keyed)."""
    result = session.execute(delete(WebSession))
    return int(getattr(result, "rowcount", 0) or 0)


class Reindex:
    """One recomputation of every holder index from scheme ``old`` to scheme ``new``."""

    def __init__(self, session: Session, *, master_key: str, old: Scheme, new: Scheme) -> None:
        self.session = session
        self.master_key = master_key  # the key the numbers are encrypted under now
        self.old = old
        self.new = new
        self.index_map: dict[str, dict[str, str]] = {}
        self.counts: dict[str, int] = {}

    def run(self) -> dict[str, int]:
        """Learn, check (refusing unknown and ambiguous indexes), then rewrite; return rows per column."""
        self.known_numbers()
        self.check_indexes()
        self.request_hashes()  # reads the old holder indexes: before reindex
        self.reindex()
        self.throttles()
        self.number_attempts()
        return self.counts

    def decrypt(self, attr: InstrumentedAttribute[Any], context: str, token: str) -> str:
        """The clear value of ``token``, or RekeyError naming the column."""
        try:
            return decrypt_str(token, master_key=self.master_key, context=context)
        except DecryptionError as exc:
            raise RekeyError(
                f"{column_name(attr)}: a value does not decrypt under the current master key ({exc}); "
                "is ONENUMBER_SECRET_KEY the key the data was written with?"
            ) from exc

    def learn(self, kind: str, numbers: Iterable[str]) -> None:
        """Map the old index of each number, as a holder of ``kind``, to its new one."""
        for number in numbers:
            self.index_map.setdefault(self.old(kind, number), {})[kind] = self.new(kind, number)

    def known_numbers(self) -> None:
        """Every number the database knows in clear or encrypted, with the kind of holder it names there."""
        tokens = self.session.execute(select(Person.number_cipher).distinct()).scalars()
        self.learn(PERSON, [self.decrypt(Person.number_cipher, PERSON_NUMBER_CONTEXT, t) for t in tokens])
        encrypted: list[tuple[Any, InstrumentedAttribute[Any], str]] = [
            (License.holder_kind, License.holder_number_cipher, HOLDER_NUMBER_CONTEXT),
            (Application.applicant_kind, Application.applicant_number_cipher, NUMBER_CONTEXT),
        ]
        for kind, attr, context in encrypted:
            rows = self.session.execute(select(kind, attr).where(attr.is_not(None)).distinct()).all()
            for row_kind, token in rows:
                self.learn(str(row_kind), [self.decrypt(attr, context, token)])
        self.learn(ORGANIZATION, self.session.execute(select(Organization.credit_code)).scalars())
        self.learn(ORGANIZATION, self.session.execute(select(Department.credit_code)).scalars())

    def lookup(self, old: str, kind: str | None) -> str | None:
        """The new index of ``old`` for a holder of ``kind`` (which matters only when both kinds share ``old``)."""
        entries = self.index_map.get(old, {})
        if len(entries) == 1:
            return next(iter(entries.values()))
        return entries.get(kind) if kind else None

    def _rows(self, column: IndexColumn) -> list[tuple[Any, str, str | None]]:
        """(primary key, old index, holder kind or None) of every row with an index in ``column``."""
        pk, attr = _pk(column.attr), column.attr
        if isinstance(column.kind, str):
            rows = self.session.execute(select(pk, attr).where(attr.is_not(None))).all()
            return [(id_, old, column.kind) for id_, old in rows]
        rows = self.session.execute(select(pk, attr, column.kind).where(attr.is_not(None))).all()
        return [(id_, old, kind) for id_, old, kind in rows]

    def check_indexes(self) -> None:
        """Refuse (before writing anything) indexes of numbers the database does not hold, and indexes shared by
        a person and an organisation on rows that do not say which they name."""
        unknown: dict[str, int] = {}
        ambiguous: dict[str, int] = {}
        for column in index_columns():
            for _, old, kind in self._rows(column):
                if self.lookup(old, kind) is None:
                    bucket = ambiguous if old in self.index_map else unknown
                    bucket[column_name(column.attr)] = bucket.get(column_name(column.attr), 0) + 1
        problems = []
        if unknown:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(unknown.items()))
            problems.append(f"holder indexes of numbers the database does not hold ({detail})")
        if ambiguous:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(ambiguous.items()))
            problems.append(f"holder indexes a person and an organisation share, on rows naming neither ({detail})")
        if problems:
            raise RekeyError("; ".join(problems) + "; nothing changed")

    def reindex(self) -> None:
        """Rewrite every index column and the indexes inside JSON columns."""
        for column in index_columns():
            updates = [{"id_": id_, "new_": self.lookup(old, kind)} for id_, old, kind in self._rows(column)]
            self.counts[column_name(column.attr)] = _update(self.session, column.attr, updates)
        for attr, kind in json_index_columns():

            def change_json(value: Any, kind: str = kind) -> Any:
                new = self._swap(value, kind)
                return None if new == value else new

            self.counts[column_name(attr)] = rewrite_column(self.session, attr, change_json)

    def _swap(self, value: Any, kind: str) -> Any:
        if isinstance(value, dict):
            return {k: self._swap(v, ORGANIZATION if k == "act_for" else kind) for k, v in value.items()}
        if isinstance(value, list):
            return [self._swap(v, kind) for v in value]
        if isinstance(value, str) and value in self.index_map:
            return self.lookup(value, kind) or value
        return value

    def throttles(self) -> None:
        """Per-account login counters are keyed ``account:<index>`` (a person's): carry them over."""
        moved = dropped = 0
        keys = self.session.execute(select(LoginThrottle.key).where(LoginThrottle.key.startswith("account:")))
        for key in keys.scalars().all():
            new = self.lookup(key.removeprefix("account:"), PERSON)
            if new is None:  # failures against a number nobody registered
                self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
                dropped += 1
            else:
                self.session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(key=f"account:{new}"))
                moved += 1
        self.counts["idp_login_throttle.key"] = moved
        self.counts["idp_login_throttle (dropped)"] = dropped

    def request_hashes(self) -> None:
        """Idempotency fingerprints of issuances contain the holder index: recompute those that check out."""
        rows = self.session.execute(
            select(
                License.id,
                License.request_hash,
                License.holder_index,
                License.holder_kind,
                License.holder_name,
                License.data,
                License.valid_from,
                License.valid_until,
                LicenseType.type_code,
            )
            .join(LicenseType, LicenseType.id == License.type_id)
            .where(License.request_hash.is_not(None))
        ).all()
        changed = 0
        for row in rows:
            parts = dict(
                type_code=row.type_code,
                holder_name=row.holder_name,
                data=row.data,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
            )
            new_hid = self.lookup(row.holder_index, row.holder_kind)
            if new_hid is None or license_service.issue_request_hash(hid=row.holder_index, **parts) != row.request_hash:
                continue  # cannot be proven: a replay with this key will be refused, never duplicated
            new = license_service.issue_request_hash(hid=new_hid, **parts)
            self.session.execute(update(License).where(License.id == row.id).values(request_hash=new))
            changed += 1
        self.counts["wallet_license.request_hash"] = changed

    def number_attempts(self) -> None:
        """Registration and proofing attempts per number only throttle for a day, and may name numbers
        the platform never learnt (no index to map): they are dropped, not re-indexed."""
        result = self.session.execute(delete(NumberAttempt))
        self.counts["idp_number_attempt (dropped)"] = int(getattr(result, "rowcount", 0) or 0)
