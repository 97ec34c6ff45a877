"""Row cache: copies kept for their TTL, per engine, dropped by invalidation, and a load that raced with an
invalidation never stored."""

from __future__ import annotations

import gc
import threading
import weakref

from sqlalchemy import Engine, Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.rowcache import PerEngine, RowCache, TtlMap, detached_copy, engine_of


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _engine() -> Engine:
    return create_engine("sqlite://")


def test_a_value_is_kept_for_its_ttl_then_loaded_again() -> None:
    clock = _Clock()
    table: TtlMap[str, str] = TtlMap(5.0, clock=clock)
    loads: list[str] = []

    def load() -> str:
        loads.append("a")
        return f"row {len(loads)}"

    assert table.get("a", load) == "row 1"
    clock.now += 4.9
    assert table.get("a", load) == "row 1" and table.peek("a") == "row 1"
    clock.now += 0.2
    assert table.peek("a") is None
    assert table.get("a", load) == "row 2"
    assert len(loads) == 2


def test_none_is_returned_but_not_kept() -> None:
    table: TtlMap[str, str] = TtlMap(5.0)
    assert table.get("missing", lambda: None) is None
    assert table.get("missing", lambda: "created since") == "created since"


def test_invalidate_drops_one_key_or_all() -> None:
    table: TtlMap[str, int] = TtlMap(60.0)
    table.get("a", lambda: 1)
    table.get("b", lambda: 2)
    table.invalidate("a")
    assert table.peek("a") is None and table.peek("b") == 2
    table.invalidate()
    assert table.peek("b") is None and len(table) == 0


def test_a_load_that_raced_with_an_invalidation_is_not_stored() -> None:
    table: TtlMap[str, str] = TtlMap(60.0)

    def load() -> str:
        table.invalidate("a")  # the row changed while it was being read
        return "old row"

    assert table.get("a", load) == "old row"  # the caller still gets what it read
    assert table.peek("a") is None  # but the next one reads again
    assert table.get("a", lambda: "new row") == "new row"
    assert table.peek("a") == "new row"


def test_store_refuses_a_stale_generation() -> None:
    table: TtlMap[str, str] = TtlMap(60.0)
    generation, at = table.generation, table.now()
    table.invalidate("other")
    assert not table.store("a", "x", generation=generation, loaded_at=at)
    assert table.store("a", "x", generation=table.generation, loaded_at=table.now())
    assert table.peek("a") == "x"


def test_prune_drops_only_expired_entries() -> None:
    clock = _Clock()
    table: TtlMap[str, int] = TtlMap(1.0, clock=clock)
    table.get("old", lambda: 1)
    clock.now += 0.6
    table.get("new", lambda: 2)
    clock.now += 0.6
    table.prune()
    assert len(table) == 1 and table.peek("new") == 2


def test_each_engine_has_its_own_copies_and_invalidation_reaches_all() -> None:
    one, two = _engine(), _engine()
    cache: RowCache[str, str] = RowCache(60.0)
    assert cache.get(one, "k", lambda: "from one") == "from one"
    assert cache.peek(two, "k") is None and not cache.is_fresh(two, "k")
    assert cache.get(two, "k", lambda: "from two") == "from two"
    assert cache.is_fresh(one, "k") and cache.peek(one, "k") == "from one"
    cache.invalidate("k")
    assert not cache.is_fresh(one, "k") and not cache.is_fresh(two, "k")


def test_on_engine_runs_once_per_engine_before_the_first_load() -> None:
    # where a cache subscribes to other processes' invalidations (idp/oauth/clients.py, wallet/licenses/refs.py)
    one, two = _engine(), _engine()
    seen: list[tuple[Engine, int]] = []
    tables: list[TtlMap[str, str]] = []

    def on_engine(engine: Engine, table: TtlMap[str, str]) -> None:
        seen.append((engine, len(table)))
        tables.append(table)

    cache: RowCache[str, str] = RowCache(60.0, on_engine=on_engine)
    cache.get(one, "k", lambda: "v")
    cache.get(one, "j", lambda: "w")
    cache.get(two, "k", lambda: "x")
    assert seen == [(one, 0), (two, 0)]
    tables[0].invalidate("k")  # what a notification from another process does
    assert not cache.is_fresh(one, "k") and cache.is_fresh(one, "j") and cache.is_fresh(two, "k")


def _get_from_threads(registry: PerEngine[list[int]], engine: Engine, count: int) -> list[list[int]]:
    barrier = threading.Barrier(count)
    got: list[list[int]] = []

    def worker() -> None:
        barrier.wait()
        got.append(registry.get(engine))

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got


def test_per_engine_values_are_made_once_under_contention() -> None:
    made: list[Engine] = []

    def factory(engine: Engine) -> list[int]:
        made.append(engine)
        return []

    registry: PerEngine[list[int]] = PerEngine(factory)
    engine = _engine()
    assert registry.peek(engine) is None
    got = _get_from_threads(registry, engine, 8)
    assert made == [engine] and all(value is got[0] for value in got)
    assert registry.peek(engine) is got[0] and registry.values() == [got[0]]


def test_per_engine_values_go_with_their_engine() -> None:
    registry: PerEngine[list[int]] = PerEngine(lambda _engine: [])
    engine = _engine()
    registry.get(engine)
    gone = weakref.ref(engine)
    engine.dispose()
    del engine
    gc.collect()
    assert gone() is None and registry.values() == []


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rowcache_row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def test_engine_of_and_detached_copy() -> None:
    engine = _engine()
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(_Row(id=1, name="first"))
        session.commit()
        assert engine_of(session) is engine
        row = session.get(_Row, 1)
        assert row is not None
        copy = detached_copy(row)
    with engine.connect() as connection, Session(bind=connection) as bound:
        assert engine_of(bound) is engine
    assert (copy.id, copy.name) == (1, "first")  # readable after its session closed
    engine.dispose()
