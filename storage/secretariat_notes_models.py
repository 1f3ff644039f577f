"""Routine notes to the secretariat waiting to go out together (issue 20)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class SecretariatNote(Base):
    """One routine note to one secretariat member, already in their language, kept until the
    message that gathers the notes of its minute is queued (bot/delivery/notes.py)."""

    __tablename__ = "secretariat_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    locale: Mapped[str] = mapped_column(String(16))  # of the text, for the gathering message
    text: Mapped[str] = mapped_column(Text)
    # The same note is kept once while it waits (a job's retry, a second process).
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime]
