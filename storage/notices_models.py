"""Notices the secretariat sends (art. 13(1), 17, 33) and one row per person they went to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _enum


class NoticeStatus(enum.StrEnum):
    DRAFT = "draft"  # previewed, not yet confirmed
    SCHEDULED = "scheduled"  # confirmed, goes at `send_at`
    SENDING = "sending"  # its outbox batch exists (and may already be delivered)
    CANCELLED = "cancelled"  # stopped before or while going out


class Notice(Base):
    """A notice: the text as written (Telegram HTML), an optional file, link buttons, its
    audience, whether acknowledgement (已阅) is asked and by when."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    html: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(256))
    file_id: Mapped[str | None] = mapped_column(String(256))
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[label, url], ...]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # art. 33: the report uploaded with the notice, published as a members' document on confirm
    report_upload_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))
    audience: Mapped[str] = mapped_column(String(24))
    audience_value: Mapped[str] = mapped_column(String(128), default="")
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    ack_required: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_deadline: Mapped[datetime | None]
    remind_at: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO times, UTC
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus))
    send_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_batches.id"))
    deletion_batch_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_batches.id"))


class NoticeRecipient(Base):
    """One person a notice is for: the outbox row carrying their copy (the one with the
    buttons; `lead_outbox_id` is the text sent before a file whose text is too long for a
    caption), the unit they act for, and their acknowledgement."""

    __tablename__ = "notice_recipients"
    __table_args__ = (UniqueConstraint("notice_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    lead_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    added_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    reminded: Mapped[int] = mapped_column(Integer, default=0)
