"""Key ring: generate, encrypt, cache, publish (JWKS) and rotate signing keys.

Rotation is two-phase. ``rotate`` adds a ``pending`` key: it is in JWKS at once and signs from its
``activates_at``, ``key_publish_seconds`` later — longer than any cached JWKS can be stale (a client's
HTTP cache of ``jwks_cache_seconds``, plus an instance's key ring, which re-reads the table at most
:func:`ring_ttl` seconds after a change, and at once on PostgreSQL through NOTIFY). Every instance
chooses its signing key by that column and the clock, not by which process noticed what, so no token
is signed with a key some verifier cannot have seen. The first signer after the activation time
promotes the key (``pending`` → ``active``, the old one ``retiring``); one active key per algorithm is
a unique index, and first-use creation takes a PostgreSQL advisory lock.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from core import invalidation
from core.clock import utcnow
from core.crypto import decrypt_str, encrypt_str
from core.settings import Settings
from idp.errors import IdpError
from idp.keys.models import SigningKey

ALGORITHMS = ("ES256", "RS256")
_CONTEXT = "idp.key"
TOPIC = "signing_key"
_LOCK = 0x6F6E_6B65  # pg_advisory_xact_lock key of first-use key creation ("onke")
SIGNING_STATES = ("active", "pending")


def ring_ttl(settings: Settings) -> float:
    """How long a ring trusts its view of the keys before re-reading the table (a backstop: a change
    committed by any process reaches every ring at once on PostgreSQL through NOTIFY, TOPIC above).
    At most half the time a new key is published before it signs, so that even without NOTIFY every
    ring's JWKS and every client's HTTP copy of it hold the key first."""
    return max(0.5, min(30.0, (settings.key_publish_seconds - settings.jwks_cache_seconds) / 2))


@dataclass(frozen=True)
class LoadedKey:
    """A parsed signing key (parsing is slow, so each key is parsed once per process)."""

    kid: str
    alg: str
    key: ECKey | RSAKey


def _generate(alg: str, kid: str) -> ECKey | RSAKey:
    params: Any = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=params, private=True)
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, private=True)
    raise IdpError(f"unsupported signing algorithm {alg}", code="invalid_request")


def create_key(
    *, session: Session, settings: Settings, alg: str, activates_at: datetime | None = None
) -> SigningKey:
    """Generate a key for ``alg``: active at once (the first key; the caller makes sure there is no other
    active one), or pending until ``activates_at``."""
    now = utcnow()
    kid = f"{alg.lower()}-{now:%Y%m%d}-{secrets.token_hex(4)}"
    key = _generate(alg, kid)
    row = SigningKey(
        kid=kid,
        alg=alg,
        private_cipher=encrypt_str(
            key.as_pem(private=True).decode(), master_key=settings.secret_key, context=_CONTEXT
        ),
        public_jwk=key.as_dict(private=False),
        state="pending" if activates_at is not None else "active",
        created_at=now,
        activates_at=activates_at or now,
    )
    session.add(row)
    session.flush()
    return row


def _grace(settings: Settings) -> timedelta:
    """How long a key that stopped signing stays in JWKS: its last tokens' lifetime, and a margin."""
    return timedelta(seconds=max(settings.access_token_ttl, settings.id_token_ttl) + 60 + ring_ttl(settings))


def rotate(*, session: Session, settings: Settings, alg: str, now: datetime | None = None) -> SigningKey:
    """Publish a new key for ``alg`` now; every instance signs with it from ``key_publish_seconds`` on, and
    the old one keeps verifying until every token it signed has expired. A newer rotation replaces a
    key still waiting (it has signed nothing)."""
    now = now or utcnow()
    promote_due(session=session, settings=settings, now=now)
    for waiting in session.scalars(select(SigningKey).where(SigningKey.alg == alg, SigningKey.state == "pending")):
        session.delete(waiting)
    session.flush()
    return create_key(
        session=session, settings=settings, alg=alg, activates_at=now + timedelta(seconds=settings.key_publish_seconds)
    )


def promote_due(*, session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Make each pending key whose time has come the active one (the previous one retiring); the kids.

    Signers already use a due key before this runs (they go by ``activates_at``); this records it, so
    that the old key's retirement clock starts."""
    now = now or utcnow()
    promoted: list[str] = []
    due = select(SigningKey).where(SigningKey.state == "pending", SigningKey.activates_at <= now)
    for row in session.scalars(due.order_by(SigningKey.activates_at)).all():
        for old in session.scalars(
            select(SigningKey).where(SigningKey.alg == row.alg, SigningKey.state == "active")
        ):
            old.state = "retiring"
            old.not_after = now + _grace(settings)
        session.flush()  # before the new one is active: one active key per algorithm is a unique index
        row.state = "active"
        session.flush()
        promoted.append(row.kid)
    return promoted


def _lock_creation(session: Session) -> None:
    """Serialise first-use key creation between processes (PostgreSQL; SQLite has a single writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


def choose_signer(rows: list[SigningKey], now: datetime) -> tuple[SigningKey | None, datetime | None]:
    """Of one algorithm's active and pending keys, the one that signs at ``now`` (the latest whose time
    has come), and when that choice next changes (the next pending activation), if it does."""
    due = [r for r in rows if r.state == "active" or (r.activates_at is not None and r.activates_at <= now)]
    later = [r.activates_at for r in rows if r.state == "pending" and r.activates_at and r.activates_at > now]
    chosen = max(due, key=lambda r: (r.activates_at or r.created_at, r.created_at)) if due else None
    return chosen, min(later) if later else None


def listing(*, session: Session) -> list[SigningKey]:
    """Every signing key, oldest first (``onenumber keys list``)."""
    return list(session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid)))


def retire_expired(*, session: Session) -> int:
    """Move retiring keys past ``not_after`` to ``retired`` (gone from JWKS); return how many."""
    now = utcnow()
    count = 0
    for row in session.scalars(select(SigningKey).where(SigningKey.state == "retiring")):
        if row.not_after is not None and row.not_after <= now:
            row.state = "retired"
            count += 1
    return count


def scheduled_rotation(*, session: Session, settings: Settings) -> list[str]:
    """Rotate every algorithm whose active key is older than ``key_rotation_days`` and has no successor
    waiting; promote due keys, retire expired ones; return the new (pending) kids."""
    promote_due(session=session, settings=settings)
    rotated: list[str] = []
    limit = utcnow() - timedelta(days=settings.key_rotation_days)
    for alg in ALGORITHMS:
        rows = session.scalars(
            select(SigningKey).where(SigningKey.alg == alg, SigningKey.state.in_(SIGNING_STATES))
        ).all()
        active = [r for r in rows if r.state == "active"]
        waiting = any(r.state == "pending" for r in rows)
        if active and not waiting and active[0].created_at <= limit:
            rotated.append(rotate(session=session, settings=settings, alg=alg).kid)
    retire_expired(session=session)
    return rotated


class KeyRing:
    """Per-process cache of parsed keys over the ``idp_signing_key`` table."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self._factory = factory
        self._settings = settings
        self._lock = threading.Lock()
        self._parsed: dict[str, LoadedKey] = {}
        self._ttl = ring_ttl(settings)
        self._active: dict[str, tuple[float, str]] = {}  # alg → (monotonic time the choice holds until, kid)
        self._jwks: tuple[float, dict[str, Any]] | None = None
        self._jwks_body: tuple[float, bytes] | None = None
        self._checked_schedule = False
        engine = factory.kw.get("bind")
        if isinstance(engine, Engine):
            ring = weakref.ref(self)  # the listener lives as long as the process; the ring need not

            def changed(_value: str = "") -> None:
                alive = ring()
                if alive is not None:
                    alive.forget()

            invalidation.subscribe(engine, TOPIC, changed, on_reset=changed)

    def _parse(self, row: SigningKey) -> LoadedKey:
        loaded = self._parsed.get(row.kid)
        if loaded is None:
            pem = decrypt_str(row.private_cipher, master_key=self._settings.secret_key, context=_CONTEXT)
            key_cls = ECKey if row.alg == "ES256" else RSAKey
            parsed = key_cls.import_key(pem, parameters={"kid": row.kid, "alg": row.alg, "use": "sig"})
            loaded = LoadedKey(kid=row.kid, alg=row.alg, key=parsed)
            self._parsed[row.kid] = loaded
        return loaded

    def _startup_check(self, session: Session) -> None:
        if not self._checked_schedule:
            scheduled_rotation(session=session, settings=self._settings)
            self._checked_schedule = True

    def ensure_keys(self) -> None:
        """Create a missing active key for every algorithm and run the scheduled rotation check.

        Called once per process before any request transaction, so key creation never waits on
        (or deadlocks with) a request's own write lock on SQLite.
        """
        with self._lock, self._factory() as session:
            self._startup_check(session)
            _lock_creation(session)
            for alg in ALGORITHMS:
                exists = session.scalars(
                    select(SigningKey.kid).where(SigningKey.alg == alg, SigningKey.state.in_(SIGNING_STATES))
                ).first()
                if exists is None:
                    create_key(session=session, settings=self._settings, alg=alg)
            session.commit()

    def signing_key(self, alg: str = "ES256") -> LoadedKey:
        """The active key for ``alg``, generated on first use."""
        if alg not in ALGORITHMS:
            raise IdpError(f"unsupported signing algorithm {alg}")
        cached = self._active.get(alg)
        if cached and time.monotonic() < cached[0] and cached[1] in self._parsed:
            return self._parsed[cached[1]]
        with self._lock, self._factory() as session:
            self._startup_check(session)
            now = utcnow()
            row, changes_at = self._signer(session, alg, now)
            if row is None:  # first use: create it, one process at a time
                _lock_creation(session)
                row, changes_at = self._signer(session, alg, now)
                if row is None:
                    row = create_key(session=session, settings=self._settings, alg=alg)
            if row.state == "pending":  # its time has come: record it (the old key's retirement starts)
                promote_due(session=session, settings=self._settings, now=now)
            session.commit()
            loaded = self._parse(row)
            holds = self._ttl if changes_at is None else min(self._ttl, (changes_at - now).total_seconds())
            self._active[alg] = (time.monotonic() + max(0.0, holds), row.kid)
            return loaded

    @staticmethod
    def _signer(session: Session, alg: str, now: datetime) -> tuple[SigningKey | None, datetime | None]:
        rows = session.scalars(
            select(SigningKey).where(SigningKey.alg == alg, SigningKey.state.in_(SIGNING_STATES))
        ).all()
        return choose_signer(list(rows), now)

    def verification_key(self, kid: str) -> LoadedKey | None:
        """The key named ``kid`` if it may verify (published: pending, active or retiring), else None."""
        loaded = self._parsed.get(kid)
        if loaded is not None and self._usable(kid):
            return loaded
        with self._factory() as session:
            row = session.get(SigningKey, kid)
            if row is None or not self._row_usable(row):
                self._parsed.pop(kid, None)
                return None
            with self._lock:
                return self._parse(row)

    def _usable(self, kid: str) -> bool:
        # Retirement is rare; re-check the state of cached keys once the JWKS cache is stale.
        jwks = self.jwks()
        return any(k.get("kid") == kid for k in jwks["keys"])

    @staticmethod
    def _row_usable(row: SigningKey) -> bool:
        if row.state in SIGNING_STATES:
            return True
        return row.state == "retiring" and (row.not_after is None or row.not_after > utcnow())

    def jwks(self) -> dict[str, Any]:
        """Public keys that may verify tokens (pending, active and retiring), cached briefly."""
        cached = self._jwks
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        with self._factory() as session:
            rows = session.scalars(
                select(SigningKey)
                .where(SigningKey.state.in_(("pending", "active", "retiring")))
                .order_by(SigningKey.created_at)
            ).all()
            keys = [dict(row.public_jwk) for row in rows if self._row_usable(row)]
        value = {"keys": keys}
        self._jwks = (time.monotonic(), value)
        self._jwks_body = (self._jwks[0], json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        return value

    def jwks_body(self) -> bytes | None:
        """The JWKS as JSON bytes if the cached copy is fresh and an active ES256 key is known, else None.

        Never touches the database, so the JWKS endpoint can answer on the event loop.
        """
        cached = self._jwks_body
        if cached is None or time.monotonic() - cached[0] >= self._ttl:
            return None
        active = self._active.get("ES256")
        if not active or time.monotonic() >= active[0]:
            return None
        return cached[1]

    def key_set(self) -> KeySet:
        """A joserfc KeySet of every verification key (for tests and tooling)."""
        data: Any = self.jwks()
        return KeySet.import_key_set(data)

    def forget(self) -> None:
        """Drop cached views (after a rotation in this process)."""
        self._active.clear()
        self._jwks = None
        self._jwks_body = None


def _on_key_change(_mapper: Any, connection: Any, _target: SigningKey) -> None:
    invalidation.publish(connection, TOPIC, "*")  # one notification per transaction, whatever it changed


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(SigningKey, _name, _on_key_change)
