"""How often the secretariat was told about one person, per kind of notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class NoticeThrottle(Base):
    """The last notice of one kind about one person sent to the secretariat, and how many
    were held back since the last daily digest (bot/services/notify.py `throttled`)."""

    __tablename__ = "notice_throttle"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # "dead_letter", "ivask"
    subject: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # a Telegram user id
    told_at: Mapped[datetime]
    held: Mapped[int] = mapped_column(default=0)
