"""Group read: many concurrent requests' lookups by key, one query in one worker thread.

The read-side counterpart of :mod:`core.groupcommit`. On a busy public endpoint (public verification:
the license row by identifier) one request's read alone costs a worker-thread hop, a connection checkout
and a query round trip, more than everything else the request does. A request awaits
:meth:`GroupRead.get`; the reader fetches the keys of every request waiting at that moment with one
``fetch(keys)`` in a worker thread and hands each request its row. There is no timer: under light load a
batch is one request; under heavy load it is everything that queued while the previous read ran.

Nothing is cached: each key is read by a query that starts after its request asked, so the answer is as
current as a read of the request's own (a license revoked a moment earlier reads as revoked).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_BATCH = 256  # keys per query: bounds the statement when a burst queues thousands


class GroupRead(Generic[K, V]):
    """Per-process reader: ``fetch(keys) -> {key: value}`` (missing keys: None), shared by concurrent requests."""

    def __init__(self, fetch: Callable[[Sequence[K]], Mapping[K, V]]) -> None:
        self._fetch = fetch
        self._waiting: list[tuple[K, asyncio.Future[V | None]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V | None:
        """The value for ``key``, read after this call (together with whatever else is waiting)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[V | None] = loop.create_future()
        self._waiting.append((key, done))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        batch: list[tuple[K, asyncio.Future[V | None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                keys = list(dict.fromkeys(key for key, _ in batch))
                try:
                    found = await run_in_threadpool(self._fetch, keys)
                except Exception as exc:  # noqa: BLE001 - handed to every request of this batch
                    for _key, done in batch:
                        _settle(done, None, exc)
                else:
                    for key, done in batch:
                        _settle(done, found.get(key), None)
                batch = []
        finally:
            self._draining = False
            leftover, self._waiting = batch + self._waiting, []
            for _key, done in leftover:  # only when the drain itself was cancelled (shutdown)
                _settle(done, None, RuntimeError("the reader stopped before this key was read"))


def _settle(done: asyncio.Future[V | None], value: V | None, exc: BaseException | None) -> None:
    if done.done():  # the request went away (client disconnected)
        return
    if exc is None:
        done.set_result(value)
    else:
        done.set_exception(exc)
