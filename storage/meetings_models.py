"""Joint meeting models (art. 12, 19, 20): seats, meetings, motions, attendance, votes.

The database enforces what must never go wrong: one active seat per person, one attendance
row per seat and meeting, one representation per person and meeting, and one vote per seat
and motion — a double press fails on the unique constraint and means "already voted".
A secret motion's ballots are kept apart from the record of who voted, in one ballot box per
motion that no voter's row can be paired with (see `BallotBox`).
"""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _enum


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"  # check-in is open, motions may be put to the vote
    ENDED = "ended"
    CANCELLED = "cancelled"


class MotionKind(enum.StrEnum):
    RESOLUTION = "resolution"  # art. 20
    AMENDMENT = "amendment"  # art. 38: charter amendments
    ELECTION = "election"  # art. 12: the next directors and deputy directors


class BallotKind(enum.StrEnum):
    OPEN = "open"
    SECRET = "secret"


class MotionStatus(enum.StrEnum):
    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"


class Choice(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class Presence(enum.StrEnum):
    """A seat's record at one meeting (art. 19)."""

    PRESENT = "present"
    EXCUSED = "excused"  # absent with leave asked before the meeting
    ABSENT = "absent"  # absent without leave (无故不参加)


class Seat(Base):
    """A person a director or deputy-director unit names to the joint meeting (art. 19)."""

    __tablename__ = "seats"
    __table_args__ = (
        Index(
            "uq_seats_one_active",
            "person_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str] = mapped_column(String(128))
    since: Mapped[datetime]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    end_reason: Mapped[str] = mapped_column(String(24), default="")


class Meeting(Base):
    """A joint directors' meeting (主任联席会), announced with its agenda (art. 20)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(Text)
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    minutes_approved_at: Mapped[datetime | None]
    units_total: Mapped[int | None] = mapped_column(Integer)  # art. 20's base, at the end
    units_present: Mapped[int | None] = mapped_column(Integer)


class Motion(Base):
    """An item of the agenda put to the vote; its result is kept once it closes."""

    __tablename__ = "motions"
    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_motions_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[MotionKind] = mapped_column(_enum(MotionKind))
    ballot: Mapped[BallotKind] = mapped_column(_enum(BallotKind))
    document_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[MotionStatus] = mapped_column(_enum(MotionStatus))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)  # seats checked in at closing
    passed: Mapped[bool | None] = mapped_column(Boolean)
    receipts_digest: Mapped[str | None] = mapped_column(String(64))  # of the published list


class Attendance(Base):
    """One seat at one meeting: leave, representative, check-in, and finally its presence."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "seat_id", name="uq_attendance_seat"),
        Index(
            "uq_attendance_one_representation",
            "meeting_id",
            "representative_id",
            unique=True,
            sqlite_where=text("representative_id IS NOT NULL"),
            postgresql_where=text("representative_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"), index=True)
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    representative_token: Mapped[str | None] = mapped_column(String(48), unique=True)
    representative_name: Mapped[str | None] = mapped_column(String(256))  # as when accepted
    leave_reason: Mapped[str | None] = mapped_column(Text)
    leave_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    presence: Mapped[Presence | None] = mapped_column(_enum(Presence))  # set when it ends


class Vote(Base):
    """Who voted for which seat, and when; how, only for an open ballot (NULL when secret)."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("motion_id", "seat_id", name="uq_votes_seat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))  # holder or representative
    choice: Mapped[Choice | None] = mapped_column(_enum(Choice))
    cast_at: Mapped[datetime]
    changed_at: Mapped[datetime | None]


class BallotBox(Base):
    """A secret motion's ballots: one row per motion, holding every (receipt, choice) pair
    sorted by receipt — nothing that names a voter, and nothing that orders the ballots.

    Who voted is in `votes` (for turnout and one vote per seat), written in the voter's
    transaction. A row per ballot written in that same transaction could be paired with it
    by insertion order (SQLite's rowid), by transaction id (PostgreSQL's `xmin`) or by time.
    So no ballot has a row: each vote rewrites this one row under a row lock. Its `xmin` is
    the last voter's transaction, which tells only that they voted last; the list is in the
    order of the receipts, which are hashes with a random nonce, so it keeps no vote order.
    The receipts make the tally verifiable: each voter finds theirs in the published list.
    (Someone reading the database while the vote runs sees each ballot arrive, as someone
    in the room would; the record at rest links no voter to a choice.)
    """

    __tablename__ = "ballot_boxes"

    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), primary_key=True)
    ballots: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[receipt, choice], ...]


class LeadershipChat(Base):
    """The group chat the secretariat linked for the leadership's votes (at most one)."""

    __tablename__ = "leadership_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    linked_at: Mapped[datetime]
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
