"""Key ring: generate, encrypt, cache, publish (JWKS) and rotate signing keys."""

from __future__ import annotations

import json
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from core import invalidation
from core.clock import utcnow
from core.crypto import decrypt_str, encrypt_str
from core.settings import Settings
from idp.errors import IdpError
from idp.keys.models import SigningKey

ALGORITHMS = ("ES256", "RS256")
_CONTEXT = "idp.key"
# How long the process trusts its view of which key is active before re-reading the table; a rotation or
# retirement committed by any process reaches every ring at once on PostgreSQL (NOTIFY, TOPIC below), this
# stays as the backstop.
_ACTIVE_TTL_SECONDS = 30.0
TOPIC = "signing_key"


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


def create_key(*, session: Session, settings: Settings, alg: str) -> SigningKey:
    """Generate a new active key for ``alg``; the caller retires the previous one."""
    kid = f"{alg.lower()}-{utcnow():%Y%m%d}-{secrets.token_hex(4)}"
    key = _generate(alg, kid)
    row = SigningKey(
        kid=kid,
        alg=alg,
        private_cipher=encrypt_str(
            key.as_pem(private=True).decode(), master_key=settings.secret_key, context=_CONTEXT
        ),
        public_jwk=key.as_dict(private=False),
        state="active",
    )
    session.add(row)
    session.flush()
    return row


def rotate(*, session: Session, settings: Settings, alg: str) -> SigningKey:
    """Activate a new key; the old one keeps verifying until every token it signed has expired."""
    grace = max(settings.access_token_ttl, settings.id_token_ttl) + 60
    for old in session.scalars(select(SigningKey).where(SigningKey.alg == alg, SigningKey.state == "active")):
        old.state = "retiring"
        old.not_after = utcnow() + timedelta(seconds=grace)
    return create_key(session=session, settings=settings, alg=alg)


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
    """Rotate every algorithm whose active key is older than ``key_rotation_days``; return new kids."""
    rotated: list[str] = []
    limit = utcnow() - timedelta(days=settings.key_rotation_days)
    for alg in ALGORITHMS:
        active = session.scalars(
            select(SigningKey).where(SigningKey.alg == alg, SigningKey.state == "active")
        ).first()
        if active is not None and active.created_at <= limit:
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
        self._active: dict[str, tuple[float, str]] = {}
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
            for alg in ALGORITHMS:
                exists = session.scalars(
                    select(SigningKey.kid).where(SigningKey.alg == alg, SigningKey.state == "active")
                ).first()
                if exists is None:
                    create_key(session=session, settings=self._settings, alg=alg)
            session.commit()

    def signing_key(self, alg: str = "ES256") -> LoadedKey:
        """The active key for ``alg``, generated on first use."""
        if alg not in ALGORITHMS:
            raise IdpError(f"unsupported signing algorithm {alg}")
        cached = self._active.get(alg)
        if cached and time.monotonic() - cached[0] < _ACTIVE_TTL_SECONDS and cached[1] in self._parsed:
            return self._parsed[cached[1]]
        with self._lock, self._factory() as session:
            self._startup_check(session)
            row = session.scalars(
                select(SigningKey)
                .where(SigningKey.alg == alg, SigningKey.state == "active")
                .order_by(SigningKey.created_at.desc())
            ).first()
            if row is None:
                row = create_key(session=session, settings=self._settings, alg=alg)
            session.commit()
            loaded = self._parse(row)
            self._active[alg] = (time.monotonic(), row.kid)
            return loaded

    def verification_key(self, kid: str) -> LoadedKey | None:
        """The key named ``kid`` if it may still verify (active or retiring), else None."""
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
        if row.state == "active":
            return True
        return row.state == "retiring" and (row.not_after is None or row.not_after > utcnow())

    def jwks(self) -> dict[str, Any]:
        """Public keys that may verify tokens now (active and retiring), cached briefly."""
        cached = self._jwks
        if cached and time.monotonic() - cached[0] < _ACTIVE_TTL_SECONDS:
            return cached[1]
        with self._factory() as session:
            rows = session.scalars(
                select(SigningKey)
                .where(SigningKey.state.in_(("active", "retiring")))
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
        if cached is None or time.monotonic() - cached[0] >= _ACTIVE_TTL_SECONDS:
            return None
        active = self._active.get("ES256")
        if not active or time.monotonic() - active[0] >= _ACTIVE_TTL_SECONDS:
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
