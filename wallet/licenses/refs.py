"""The license lookup of public verification: the license row alone, its type and issuer from a cache.

``select(License)`` joins the type, the type's issuer and the license's issuer (four tables, the type's
JSON field schema decoded on every call); on the verification path that was over a quarter of the
request. Types and departments change rarely, so each process keeps read-only copies of them for
``TTL`` seconds; a change made in this process drops its copy at flush.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, TypeVar

from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session, lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from wallet.catalog.models import Department, LicenseType
from wallet.licenses.models import License

TTL = 5.0
_T = TypeVar("_T", Department, LicenseType)
_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Engine, dict[tuple[type, int], tuple[float, Any]]] = (
    weakref.WeakKeyDictionary()
)
_generation = 0


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _copy(row: _T) -> _T:
    cls = type(row)
    copy = cls(**{attr.key: getattr(row, attr.key) for attr in inspect(cls).column_attrs})
    make_transient_to_detached(copy)
    return copy


def _cached(session: Session, cls: type[_T], row_id: int) -> _T | None:
    engine, now = _engine(session), time.monotonic()
    entry = _cache.get(engine, {}).get((cls, row_id))
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[no-any-return]
    generation = _generation
    row = session.get(cls, row_id)
    if row is None:
        return None
    copy = _copy(row)
    if isinstance(copy, LicenseType):
        issuer = _cached(session, Department, copy.issuer_id)
        set_committed_value(copy, "issuer", issuer)
    with _lock:
        if generation == _generation:
            _cache.setdefault(engine, {})[(cls, row_id)] = (now + TTL, copy)
    return copy


def get_for_verification(*, session: Session, identifier: str) -> License | None:
    """The license with this identifier; its ``license_type`` and ``issuer`` are shared read-only copies."""
    lic = session.execute(
        select(License)
        .options(lazyload(License.license_type), lazyload(License.issuer))
        .where(License.identifier == identifier.strip().upper())
    ).scalar_one_or_none()
    if lic is None:
        return None
    set_committed_value(lic, "license_type", _cached(session, LicenseType, lic.type_id))
    set_committed_value(lic, "issuer", _cached(session, Department, lic.issuer_id))
    return lic


def forget() -> None:
    """Drop every cached type and department in this process."""
    global _generation
    with _lock:
        _generation += 1
        for rows in _cache.values():
            rows.clear()


def _on_change(_mapper: Any, _connection: Any, _target: Any) -> None:
    forget()


for _cls in (Department, LicenseType):
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_cls, _name, _on_change)
