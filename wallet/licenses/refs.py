"""The license lookup of public verification: the columns the answer needs, its type and issuer from a cache.

``select(License)`` joins the type, the type's issuer and the license's issuer (four tables, the type's
JSON field schema decoded on every call) and builds an ORM object; on the verification path that was
most of the request. The lookup reads only the license row's columns the answer needs (one Core query
for any number of identifiers, so concurrent API requests share it: :func:`reader_for`). Types and
departments change rarely, so each process keeps read-only copies of them for ``TTL`` seconds; a change
made in this process drops its copy at flush, and the same mapper events publish it (``NOTIFY`` in the
changing transaction, :mod:`core.invalidation`) so every other process on PostgreSQL drops its copies as the
change commits; ``TTL`` stays as the backstop. The license row itself is never cached: its status is read
anew for every verification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, bindparam, event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core import invalidation
from core.groupread import GroupRead
from core.rowcache import RowCache, TtlMap, detached_copy, engine_of
from core.runtime import Runtime, Slot
from wallet.catalog.models import Department, LicenseType
from wallet.licenses.models import License

TTL = 5.0
# One topic, one value: a type's copy holds its issuer's, so any change drops every copy; and a transaction
# that changes many rows (seeding the catalog) sends one notification (PostgreSQL folds identical ones).
TOPIC = "catalog"
_T = TypeVar("_T", Department, LicenseType)


def _listen(engine: Engine, table: TtlMap[tuple[type, int], Any]) -> None:
    """Other processes' catalog changes on ``engine``'s database drop this process's copies at once."""
    invalidation.subscribe(engine, TOPIC, lambda _value: table.invalidate(), on_reset=table.invalidate)


# (Department | LicenseType, id) -> detached copy
_cache: RowCache[tuple[type, int], Any] = RowCache(TTL, on_engine=_listen)


@dataclass(frozen=True, slots=True)
class LicenseFacts:
    """What a verifier may learn of a license, as read now; ``license_type`` and ``issuer`` are shared
    read-only copies (see the module docstring)."""

    id: int
    identifier: str
    holder_kind: str
    holder_index: str
    holder_name: str
    holder_number_masked: str
    data: dict[str, Any]
    status: str
    valid_from: date
    valid_until: date | None
    license_type: LicenseType
    issuer: Department


_BY_IDENTIFIERS = select(
    License.id,
    License.identifier,
    License.type_id,
    License.issuer_id,
    License.holder_kind,
    License.holder_index,
    License.holder_name,
    License.holder_number_masked,
    License.data,
    License.status,
    License.valid_from,
    License.valid_until,
).where(License.identifier.in_(bindparam("identifiers", expanding=True)))


def _peek(engine: Engine, cls: type[_T], row_id: int) -> _T | None:
    return cast("_T | None", _cache.peek(engine, (cls, row_id)))


def _cached(session: Session, cls: type[_T], row_id: int) -> _T | None:
    def load() -> _T | None:
        row = session.get(cls, row_id)
        if row is None:
            return None
        copy = detached_copy(row)
        if isinstance(copy, LicenseType):
            issuer = _cached(session, Department, copy.issuer_id)
            set_committed_value(copy, "issuer", issuer)
        return copy

    return cast("_T | None", _cache.get(engine_of(session), (cls, row_id), load))


def normalise(identifier: str) -> str:
    """An identifier as stored (a verifier may type it with spaces or in lower case)."""
    return identifier.strip().upper()


def _facts(connection: Connection, identifiers: Sequence[str], session: Session | None) -> dict[str, LicenseFacts]:
    """Read the licenses on ``connection``; types and issuers the cache lacks are loaded by ``session`` (or
    by a session on ``connection`` when None)."""
    engine = connection.engine
    rows = connection.execute(_BY_IDENTIFIERS, {"identifiers": list(identifiers)}).all()
    found: dict[str, LicenseFacts] = {}
    own: Session | None = None
    try:
        for row in rows:
            license_type = _peek(engine, LicenseType, row.type_id)
            issuer = _peek(engine, Department, row.issuer_id)
            if license_type is None or issuer is None:
                if session is None:
                    session = own = Session(bind=connection)
                license_type = _cached(session, LicenseType, row.type_id)
                issuer = _cached(session, Department, row.issuer_id)
            assert license_type is not None and issuer is not None  # foreign keys
            found[row.identifier] = LicenseFacts(
                id=row.id,
                identifier=row.identifier,
                holder_kind=row.holder_kind,
                holder_index=row.holder_index,
                holder_name=row.holder_name,
                holder_number_masked=row.holder_number_masked,
                data=row.data,
                status=row.status,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                license_type=license_type,
                issuer=issuer,
            )
    finally:
        if own is not None:
            own.close()
    return found


def fetch_for_verification(*, session: Session, identifiers: Sequence[str]) -> dict[str, LicenseFacts]:
    """The licenses with these (normalised) identifiers, by identifier; one query whatever their number."""
    if not identifiers:
        return {}
    session.flush()  # what select(License) would autoflush
    return _facts(session.connection(), identifiers, session)


def get_for_verification(*, session: Session, identifier: str) -> LicenseFacts | None:
    """The license with this identifier, read now, or None."""
    key = normalise(identifier)
    return fetch_for_verification(session=session, identifiers=[key]).get(key)


def _make_reader(runtime: Runtime) -> GroupRead[str, LicenseFacts]:
    engine: Engine = runtime.engine

    def fetch(identifiers: Sequence[str]) -> dict[str, LicenseFacts]:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            return _facts(connection, identifiers, None)

    return GroupRead(fetch)


READER: Slot[GroupRead[str, LicenseFacts]] = Slot("wallet.verification_reader", _make_reader)
"""The app's shared lookup (``runtime.get(READER)``, made on first use): concurrent requests' identifiers,
one query on a pooled connection in autocommit (a read needs no transaction)."""


def forget() -> None:
    """Drop every cached type and department in this process."""
    _cache.invalidate()


def _on_change(_mapper: Any, connection: Any, _target: Any) -> None:
    invalidation.publish(connection, TOPIC, "*")
    forget()


for _cls in (Department, LicenseType):
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_cls, _name, _on_change)
