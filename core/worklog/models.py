"""Work-log tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class WorkLogEntry(Base):
    """One entry. ``seq`` is given at insert; the chain fields are set when the entry is sealed:
    ``hash`` = SHA-256(prev_hash ‖ canonical JSON of the entry), ``position`` its place in the chain."""

    __tablename__ = "work_log"

    seq: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    object: Mapped[str] = mapped_column(String(300), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int | None] = mapped_column(_BIGINT, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class WorkLogHead(Base):
    """Single row holding the chain head; locked only while sealing, so the chain never forks."""

    __tablename__ = "work_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(_BIGINT)
    hash: Mapped[str] = mapped_column(String(64))
