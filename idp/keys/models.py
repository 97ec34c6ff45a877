"""Table of signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime


class SigningKey(Base):
    """A JWS signing key: ``pending`` keys are in JWKS and sign from ``activates_at`` (two-phase rotation),
    ``active`` is the one signing (at most one per algorithm: a database rule), ``retiring`` keys stay in
    JWKS until ``not_after`` (their tokens expired), ``retired`` ones are gone from it."""

    __tablename__ = "idp_signing_key"
    __table_args__ = (
        Index(
            "uq_idp_signing_key_one_active",
            "alg",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8), index=True)
    private_cipher: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activates_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
