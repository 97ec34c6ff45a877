"""The outbox of Back-Channel Logout: one row per (ended SSO session, relying party) still to be told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATES = (PENDING, DELIVERED, DEAD)


class LogoutDelivery(Base):
    """A logout token to POST to a relying party's ``backchannel_logout_uri``.

    Written in the transaction that ends the SSO session (idp/oauth/logout.py), so a logout the browser was
    told about is never lost; signed only when sent (idp/backchannel/outbox.py), so a late delivery carries a
    fresh ``iat`` and ``exp``. ``claims`` are the token's lasting claims (iss, aud, sub, sid, events).
    """

    __tablename__ = "idp_logout_delivery"
    __table_args__ = (Index("ix_idp_logout_delivery_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(100), index=True)
    sid: Mapped[str] = mapped_column(String(43))
    uri: Mapped[str] = mapped_column(String(500))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    alg: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    # attempts started; a claim increments it, so it also fences the outcome of a claim (outbox.py)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime())  # then dead; `retry` sets it anew
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "HTTP 503", "ConnectTimeout"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # delivered or dead
