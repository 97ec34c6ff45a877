"""Per-process view of revoked access tokens and ended SSO sessions.

Introspection and the wallet's token verifier ask "is this token revoked?" on every call; asking the
database each time was a fifth of introspection's cost. Each process keeps instead:

- the set of revoked access-token ``jti`` values that have not expired yet (revocations live only until the
  token would have expired, so the set stays small), reloaded with one query at most every ``REFRESH_S``;
- for each SSO session a token names, when it was last confirmed live; it is checked again once that is
  more than ``REFRESH_S`` old (a :class:`core.rowcache.TtlMap` in the view of each database).

A revocation made in this process is seen at once (SQLAlchemy mapper events at flush add the jti or the
ended session to every view, before the revoking request even answers). On PostgreSQL the same events
publish it (``NOTIFY`` in the revoking transaction, :mod:`core.invalidation`), so every other process
adds it to its view as the transaction commits; the reload every ``REFRESH_S`` seconds stays as the
backstop (and catches revocations written without the ORM).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from core import invalidation
from core.rowcache import PerEngine, TtlMap, engine_of
from idp.oauth.models import AccessToken, SsoSession

REFRESH_S = 1.0
# How long a revocation flushed in this process is kept even if a reload does not show it yet (the
# revoking transaction may commit after a reload has started).
LOCAL_GRACE_S = 60.0


class _View:
    """What one process knows about one database's revocations."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held by the one thread reloading
        self.local_lock = threading.Lock()  # guards local_jtis and ended_sids
        self.loaded_at: float | None = None
        self.jtis: frozenset[str] = frozenset()
        self.local_jtis: dict[str, float] = {}  # jti -> monotonic time its revocation was flushed here
        self.ended_sids: dict[str, float] = {}  # sid -> monotonic time its end was flushed here
        # sids confirmed live in the last REFRESH_S; an ended session is dropped (and a confirmation read
        # while it ended is not kept: the map's generation)
        self.live_sids: TtlMap[str, bool] = TtlMap(REFRESH_S)

    def refresh(self, session: Session, now: float) -> None:
        """Reload the revoked jtis if the last load is older than REFRESH_S (one thread reloads)."""
        if self.loaded_at is not None and now - self.loaded_at < REFRESH_S:
            return
        if not self.lock.acquire(blocking=self.loaded_at is None):
            return  # another thread is reloading; the current set is at most about REFRESH_S old
        try:
            if self.loaded_at is not None and time.monotonic() - self.loaded_at < REFRESH_S:
                return
            started = time.monotonic()
            rows = session.scalars(
                select(AccessToken.jti).where(AccessToken.expires_at > datetime.now(UTC))
            ).all()
            cutoff = started - LOCAL_GRACE_S
            with self.local_lock:
                self.local_jtis = {j: t for j, t in self.local_jtis.items() if t > cutoff}
                self.ended_sids = {s: t for s, t in self.ended_sids.items() if t > cutoff}
                self.jtis = frozenset(rows).union(self.local_jtis)
            self.live_sids.prune()
            self.loaded_at = started
        finally:
            self.lock.release()


def _new_view(engine: Engine) -> _View:
    """The view of ``engine``'s revocations, listening for those published by other processes."""
    view = _View()
    _listen(engine, view)
    return view


_views: PerEngine[_View] = PerEngine(_new_view)


def _listen(engine: Engine, view: _View) -> None:
    """Revocations and ended sessions published by other processes go into ``view`` as they commit."""
    def revoked(jti: str) -> None:
        with view.local_lock:
            view.local_jtis[jti] = time.monotonic()

    def ended(sid: str) -> None:
        with view.local_lock:
            view.ended_sids[sid] = time.monotonic()
        view.live_sids.invalidate(sid)

    def reset() -> None:  # notifications may have been missed while the listener was away
        view.live_sids.invalidate()
        view.loaded_at = None

    invalidation.subscribe(engine, "jti", revoked, on_reset=reset)
    invalidation.subscribe(engine, "sid", ended)


def is_fresh(engine: Engine) -> bool:
    """True when this process's view of ``engine`` needs no reload now (see :func:`is_revoked`)."""
    view = _views.peek(engine)
    return view is not None and view.loaded_at is not None and time.monotonic() - view.loaded_at < REFRESH_S


def is_revoked(*, session: Session, claims: dict[str, Any]) -> bool:
    """True when the token's jti was revoked or its SSO session ended (or never existed)."""
    jti = claims.get("jti")
    if not isinstance(jti, str):
        return True
    view = _views.get(engine_of(session))
    view.refresh(session, time.monotonic())
    if jti in view.jtis or jti in view.local_jtis:
        return True
    sid = claims.get("sid")
    if not sid:
        return False
    if sid in view.ended_sids:
        return True

    def live() -> bool | None:
        row = session.get(SsoSession, sid)
        return True if row is not None and row.revoked_at is None else None

    return view.live_sids.get(sid, live) is None


def _all_views() -> list[_View]:
    return _views.values()


def _on_access_token_insert(_mapper: Any, connection: Any, target: AccessToken) -> None:
    invalidation.publish(connection, "jti", target.jti)
    now = time.monotonic()
    for view in _all_views():
        with view.local_lock:
            view.local_jtis[target.jti] = now


def _end_session(sid: str) -> None:
    now = time.monotonic()
    for view in _all_views():
        with view.local_lock:
            view.ended_sids[sid] = now
        view.live_sids.invalidate(sid)


def _on_session_change(_mapper: Any, connection: Any, target: SsoSession) -> None:
    if target.revoked_at is not None:
        invalidation.publish(connection, "sid", target.sid)
        _end_session(target.sid)


def _on_session_delete(_mapper: Any, connection: Any, target: SsoSession) -> None:
    invalidation.publish(connection, "sid", target.sid)
    _end_session(target.sid)


event.listen(AccessToken, "after_insert", _on_access_token_insert)
event.listen(SsoSession, "after_update", _on_session_change)
event.listen(SsoSession, "after_delete", _on_session_delete)
