"""The wallet's ES256 signing key (presentation tokens, SD-JWT VCs): encrypted at rest, published as JWKS."""

from __future__ import annotations

import json
import threading
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.crypto import decrypt_str, encrypt_str
from core.settings import Settings
from wallet.licenses.models import WalletKey

KEY_CONTEXT = "wallet.signing_key"
_lock = threading.Lock()
# Parsed keys by kid: parsing an EC key costs more than the signature it is used for.
_private: dict[tuple[str, str], ECKey] = {}
_public: dict[str, ECKey] = {}


def _create(*, session: Session, settings: Settings) -> WalletKey:
    key = ECKey.generate_key("P-256", auto_kid=True)
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": "ES256", "use": "sig"}
    row = WalletKey(
        kid=kid,
        alg="ES256",
        public_jwk=public,
        active=True,
        private_key_cipher=encrypt_str(
            json.dumps(key.as_dict(private=True)), master_key=settings.secret_key, context=KEY_CONTEXT
        ),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise
    return row


def active_key(*, session: Session, settings: Settings) -> tuple[str, ECKey]:
    """The active signing key (kid, private key), created on first use."""
    row = session.execute(
        select(WalletKey).where(WalletKey.active.is_(True)).order_by(WalletKey.id.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        with _lock:
            row = _create(session=session, settings=settings)
    cache_key = (row.kid, settings.secret_key)
    key = _private.get(cache_key)
    if key is None:
        plain = decrypt_str(row.private_key_cipher, master_key=settings.secret_key, context=KEY_CONTEXT)
        key = ECKey.import_key(json.loads(plain))
        _private[cache_key] = key
    return row.kid, key


def public_key(*, session: Session, kid: str) -> ECKey | None:
    """The public key with this kid (retired keys still verify what they signed), or None."""
    key = _public.get(kid)
    if key is not None:
        return key
    row = session.execute(select(WalletKey).where(WalletKey.kid == kid)).scalar_one_or_none()
    if row is None:
        return None
    key = ECKey.import_key(row.public_jwk)
    _public[kid] = key
    return key


def loaded_public_key(kid: str) -> ECKey | None:
    """The public key with this kid if this process has loaded it already (no database), else None."""
    return _public.get(kid)


def jwks(*, session: Session, settings: Settings) -> dict[str, Any]:
    """Every wallet public key as a JWK Set (creates the first key if none exists)."""
    active_key(session=session, settings=settings)
    rows = session.execute(select(WalletKey).order_by(WalletKey.id)).scalars().all()
    return {"keys": [dict(row.public_jwk) for row in rows]}
