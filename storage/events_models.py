"""Events the center organises (art. 7, 13(2)) and who signed up for them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _enum


class EventStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # attendance taken and counted


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # has a place
    OFFERED = "offered"  # a freed place is held for them until `offer_expires_at`
    WAITING = "waiting"
    CANCELLED = "cancelled"  # by the person, or declined an offer
    LAPSED = "lapsed"  # did not confirm an offered place in time


ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.OFFERED, SignupStatus.WAITING)
HOLDING = (SignupStatus.CONFIRMED, SignupStatus.OFFERED)  # statuses that take a place


class Event(Base):
    """An event or competition; times in UTC, shown in `timezone` (the center's)."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("per_unit > 0", name="per_unit_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(500))  # an address or an online link
    capacity: Mapped[int | None] = mapped_column(Integer)
    members_until: Mapped[datetime | None]
    guests_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    per_unit: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), default=EventStatus.OPEN)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE: edits
    checkin_code: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class EventSignup(Base):
    """One person's signup; their place in the queue is (`queued_at`, `id`)."""

    __tablename__ = "event_signups"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),  # signing up twice finds the same row
        Index("ix_event_signups_queue", "event_id", "status", "queued_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[SignupStatus] = mapped_column(_enum(SignupStatus))
    queued_at: Mapped[datetime]
    offer_expires_at: Mapped[datetime | None]
    attended_at: Mapped[datetime | None]
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    cancelled_at: Mapped[datetime | None]
