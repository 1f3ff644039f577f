"""Updates on their way in: written down before Telegram is told they arrived, and the ones
whose handling failed, set aside for the secretariat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class InboundUpdate(Base):
    """A polled update, recorded before the next getUpdates confirms it to Telegram; one
    whose key is not in processed_updates was not handled yet (a crash) and is replayed."""

    __tablename__ = "inbound_updates"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(index=True)


class DeadLetter(Base):
    """An update whose handling failed: answered, claimed so it is never retried, kept here."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_key: Mapped[str] = mapped_column(String(96), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(String(200))  # what kind of update, never its text
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime]
