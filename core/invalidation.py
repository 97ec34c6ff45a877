"""Cross-instance invalidation through PostgreSQL ``NOTIFY`` / ``LISTEN`` (issue 16, item 3).

A change that other processes must honour at once (a revoked token, an ended SSO session, …) calls
:func:`publish` inside the transaction that makes it: PostgreSQL delivers the notification to every
listening connection when, and only if, that transaction commits. Each process keeps one listening
connection per database (a daemon thread, its own autocommit connection outside the pool — transaction
pooling in PgBouncer does not carry ``LISTEN``, so ``ONENUMBER_LISTEN_URL`` points it at the server itself
when the pool sits in between: :func:`listen_via`, called by ``core.db.engine_from_settings``) and hands each
payload to the subscribers of its topic. ``NOTIFY`` itself goes through the engine's own connections (it is
part of the changing transaction, which PgBouncer carries).

Payloads are ``"<topic>:<value>"``. Subscribers' ``on_reset`` runs each time the listening connection is
(re)established: notifications sent before it listened (a copy loaded while the listener was still
connecting, or while it was away) are gone, so caches drop what they hold; the periodic reloads of
each cache stay as the backstop. SQLite (the embedded default, one process) has no listeners: ``publish``
does nothing and same-process changes are seen through each cache's own in-process hooks.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, make_url, text

log = logging.getLogger("core.invalidation")

CHANNEL = "onenumber_invalidate"
RECONNECT_S = 1.0
MAX_RECONNECT_S = 30.0  # back off while the database stays away
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :payload)")


def publish(connection: Connection, topic: str, value: str) -> None:
    """Tell every instance about ``topic:value`` when the current transaction of ``connection`` commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"payload": f"{topic}:{value}"})


class _Listener:
    """One LISTEN connection to one database and the callbacks of its topics."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.handlers: dict[str, list[Callable[[str], None]]] = defaultdict(list)
        self.resets: list[Callable[[], None]] = []
        self.ready = threading.Event()
        self.received = 0
        self.thread = threading.Thread(target=self._run, name="onenumber-listen", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg  # lazily: the driver (~115 ms) only where a listener runs, i.e. on PostgreSQL

        delay = RECONNECT_S
        while True:
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    for reset in list(self.resets):  # what was loaded before LISTEN may be stale already
                        try:
                            reset()
                        except Exception:  # one subscriber's bug must not stop the others
                            log.exception("invalidation reset failed")
                    delay = RECONNECT_S
                    self.ready.set()
                    for note in conn.notifies():
                        self.received += 1
                        topic, _, value = note.payload.partition(":")
                        for handler in list(self.handlers.get(topic, ())):
                            try:
                                handler(value)
                            except Exception:  # one subscriber's bug must not stop the others
                                log.exception("invalidation handler for %s failed", topic)
            except Exception as exc:  # noqa: BLE001 - the database went away: listen again when it is back
                self.ready.clear()
                if "does not exist" in str(exc):  # the database was dropped: nothing will ever be published
                    log.info("invalidation listener stops: its database is gone")
                    with _lock:
                        if _listeners.get(self.url) is self:
                            del _listeners[self.url]
                    return
                if delay == RECONNECT_S:
                    log.warning("invalidation listener lost its connection (%s); retrying", type(exc).__name__)
                time.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_S)


_lock = threading.Lock()
_listeners: dict[str, _Listener] = {}
_listen_urls: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def listen_via(engine: Engine, url: str) -> None:
    """Listen for ``engine``'s notifications on ``url`` (the same database reached directly, bypassing a
    transaction pooler) instead of the engine's own URL; call before the first :func:`subscribe`."""
    _listen_urls[engine] = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _dsn(engine: Engine) -> str:
    listen_url = _listen_urls.get(engine)
    if listen_url is not None:
        return listen_url
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def subscribe(engine: Engine, topic: str, handler: Callable[[str], None], *, on_reset: Callable[[], None] | None = None) -> bool:
    """Call ``handler(value)`` for every ``topic:value`` published on ``engine``'s database by any process;
    ``on_reset`` whenever the listening connection is (re)established. False (nothing to listen to) on
    SQLite."""
    if engine.dialect.name != "postgresql":
        return False
    dsn = _dsn(engine)
    with _lock:
        listener = _listeners.get(dsn)
        if listener is None:
            listener = _listeners[dsn] = _Listener(dsn)
        if handler not in listener.handlers[topic]:
            listener.handlers[topic].append(handler)
        if on_reset is not None and on_reset not in listener.resets:
            listener.resets.append(on_reset)
    return True


def wait_ready(engine: Engine, timeout: float = 5.0) -> bool:
    """True once this process listens on ``engine``'s database (tests, start-up)."""
    listener = _listeners.get(_dsn(engine)) if engine.dialect.name == "postgresql" else None
    return listener is not None and listener.ready.wait(timeout)


def stats() -> dict[str, Any]:
    """Listeners of this process and the notifications each has received."""
    return {dsn.rsplit("@", 1)[-1]: listener.received for dsn, listener in _listeners.items()}
