"""Updates on their way in: written down before Telegram is told they arrived, and the ones
whose handling failed, set aside for the secretariat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class InboundUpdate(Base):
    """A polled update, recorded before the next getUpdates confirms it to Telegram, and
    deleted by the transaction that handles it (so no handled update's content, such as a
    ballot's choice, stays stored); one still here was not handled (a crash): replayed, or
    set aside once the process died twice with it in hand."""

    __tablename__ = "inbound_updates"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(index=True)
    # Times handed over for handling: at once when polled, then once per replay.
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class DeadLetter(Base):
    """An update whose handling failed: answered, claimed so it is never retried, kept here."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_key: Mapped[str] = mapped_column(String(96), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(String(200))  # what kind of update, never its text
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime]
