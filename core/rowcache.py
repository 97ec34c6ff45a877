"""Per-process copies of rows that change rarely, one set per database, each kept for a few seconds.

Every token request needs its client, every verification its license type and issuer, every introspection
the word that a token's SSO session is still live; asking the database each time costs more than the rest
of the request. The caches that keep such copies (:mod:`idp.oauth.clients`, :mod:`idp.revocations`,
:mod:`wallet.licenses.refs`) share one shape, written once here:

- :class:`TtlMap` — key → value for ``ttl`` seconds, thread-safe; :meth:`TtlMap.invalidate` bumps a
  *generation*, so a load that raced with an invalidation (it read the row before the change) is not stored;
- :class:`PerEngine` — one object per database engine, made on first use and dropped with the engine
  (weak keys: an engine the application disposed of takes its copies with it);
- :class:`RowCache` — a :class:`TtlMap` per engine, invalidated across all of them (a change seen at flush
  does not say which engine's copy it makes stale);
- :func:`engine_of` and :func:`detached_copy` — the engine a session reads, and a read-only copy of a row
  that may cross threads and outlive its session.

What invalidates (mapper events at flush and commit, ``NOTIFY`` from other processes, subscribed in
:class:`RowCache`'s ``on_engine`` hook) stays with each cache: this module only keeps the copies. It
imports nothing of ours.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

__all__ = ["PerEngine", "RowCache", "TtlMap", "detached_copy", "engine_of"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def engine_of(session: Session) -> Engine:
    """The engine ``session`` reads from (its bind, or the bind's engine when bound to a connection)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def detached_copy(row: R) -> R:
    """A detached copy of an ORM row's column attributes (read it from any thread, never change it)."""
    cls = type(row)
    copy = cls(**{attr.key: getattr(row, attr.key) for attr in inspect(cls).column_attrs})
    make_transient_to_detached(copy)
    return copy


class TtlMap(Generic[K, V]):
    """Values kept ``ttl`` seconds after they were loaded; reads take no lock (a dict lookup is atomic)."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[float, V]] = {}  # key -> (expiry on the clock, value)
        self._generation = 0  # bumped on every invalidation

    @property
    def generation(self) -> int:
        """Take it before a load; :meth:`store` with it stores nothing if an invalidation came between."""
        return self._generation

    def now(self) -> float:
        """The clock's reading (a load's start time, for :meth:`store`)."""
        return self._clock()

    def peek(self, key: K) -> V | None:
        """The value of ``key`` if it is fresh, else None (never loads)."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > self._clock() else None

    def store(self, key: K, value: V, *, generation: int, loaded_at: float) -> bool:
        """Keep ``value`` until ``loaded_at + ttl`` unless an invalidation happened since ``generation``."""
        with self._lock:
            if generation != self._generation:
                return False
            self._entries[key] = (loaded_at + self.ttl, value)
            return True

    def get(self, key: K, load: Callable[[], V | None]) -> V | None:
        """The fresh value of ``key``, else ``load()`` kept for ``ttl`` seconds (None is returned, not kept:
        a row created a moment later must be found at once)."""
        value = self.peek(key)
        if value is not None:
            return value
        generation, loaded_at = self._generation, self._clock()
        value = load()
        if value is not None:
            self.store(key, value, generation=generation, loaded_at=loaded_at)
        return value

    def invalidate(self, key: K | None = None) -> None:
        """Drop ``key`` (or everything); a load under way when this runs is not stored."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def prune(self) -> None:
        """Drop expired entries (for maps whose keys keep coming, such as session ids)."""
        now = self._clock()
        with self._lock:
            self._entries = {k: entry for k, entry in self._entries.items() if entry[0] > now}

    def __len__(self) -> int:
        return len(self._entries)


class PerEngine(Generic[V]):
    """One ``factory(engine)`` per engine, made once on first use (under a lock), weakly keyed.

    The value must not refer to its engine (it would keep the engine alive forever).
    """

    def __init__(self, factory: Callable[[Engine], V]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._values: weakref.WeakKeyDictionary[Engine, V] = weakref.WeakKeyDictionary()

    def get(self, engine: Engine) -> V:
        """The engine's value, made now if it has none yet."""
        value = self._values.get(engine)
        if value is None:
            with self._lock:
                value = self._values.get(engine)
                if value is None:
                    value = self._values[engine] = self._factory(engine)
        return value

    def peek(self, engine: Engine) -> V | None:
        """The engine's value, or None if it has none yet (never makes one)."""
        return self._values.get(engine)

    def values(self) -> list[V]:
        """Every engine's value (a snapshot)."""
        with self._lock:
            return list(self._values.values())


class RowCache(Generic[K, V]):
    """A :class:`TtlMap` per engine: copies of one database's rows are never served for another's.

    ``on_engine(engine, table)`` runs once when an engine's map is made, before anything is loaded into it:
    where a cache subscribes to other processes' invalidations of that database (``core.invalidation``). It
    must not keep ``engine`` (the map is dropped with the engine).
    """

    def __init__(
        self,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_engine: Callable[[Engine, TtlMap[K, V]], None] | None = None,
    ) -> None:
        self.ttl = ttl

        def new_map(engine: Engine) -> TtlMap[K, V]:
            table: TtlMap[K, V] = TtlMap(ttl, clock=clock)
            if on_engine is not None:
                on_engine(engine, table)
            return table

        self._maps: PerEngine[TtlMap[K, V]] = PerEngine(new_map)

    def peek(self, engine: Engine, key: K) -> V | None:
        """The fresh copy of ``key`` for ``engine``, else None (never loads)."""
        table = self._maps.peek(engine)
        return table.peek(key) if table is not None else None

    def is_fresh(self, engine: Engine, key: K) -> bool:
        """True when :meth:`get` would not load ``key`` now."""
        return self.peek(engine, key) is not None

    def get(self, engine: Engine, key: K, load: Callable[[], V | None]) -> V | None:
        """The fresh copy of ``key``, else ``load()`` (kept unless None or an invalidation raced with it)."""
        return self._maps.get(engine).get(key, load)

    def invalidate(self, key: K | None = None) -> None:
        """Drop ``key`` (or everything) for every engine."""
        for table in self._maps.values():
            table.invalidate(key)
