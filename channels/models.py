"""Server-side sessions of the web channels (hall, console, kiosk): the cookie holds only a random id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, UTCDateTime


class WebSession(Base):
    """One browser's session: tokens and flow state, encrypted at rest; idle and absolute expiry."""

    __tablename__ = "wallet_web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's random id
    channel: Mapped[str] = mapped_column(String(16))  # hall | kiosk
    data_cipher: Mapped[str] = mapped_column(Text)
    idle_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
