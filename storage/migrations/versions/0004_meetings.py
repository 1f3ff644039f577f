"""Joint meetings: seats, meetings, motions, attendance, votes, secret ballots, group chat.

Revision ID: 0004m
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from storage import meetings_models  # noqa: F401  (the models join Base.metadata)
from storage.models import UTCDateTime

revision = "0004m"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTIVE_SEAT = sa.text("ended_at IS NULL")
REPRESENTED = sa.text("representative_id IS NOT NULL")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _fk(column: str, target: str, nullable: bool = True) -> sa.Column:
    return sa.Column(column, sa.Integer, sa.ForeignKey(target), nullable=nullable)


def _at(column: str, nullable: bool = True) -> sa.Column:
    return sa.Column(column, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    _seats()
    _meetings()
    _attendance()
    _votes()
    op.create_table(
        "leadership_chats",
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        _at("linked_at", nullable=False),
        _fk("linked_by", "people.id"),
        sa.PrimaryKeyConstraint("chat_id", name="pk_leadership_chats"),
    )


def _seats() -> None:
    op.create_table(
        "seats",
        _id(),
        _fk("unit_id", "units.id", nullable=False),
        _fk("person_id", "people.id", nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        _at("since", nullable=False),
        _fk("recorded_by", "people.id"),
        _at("ended_at"),
        _fk("ended_by", "people.id"),
        sa.Column("end_reason", sa.String(24), nullable=False),
    )
    op.create_index("ix_seats_unit_id", "seats", ["unit_id"])
    op.create_index(
        "uq_seats_one_active",
        "seats",
        ["person_id"],
        unique=True,
        sqlite_where=ACTIVE_SEAT,
        postgresql_where=ACTIVE_SEAT,
    )


def _meetings() -> None:
    op.create_table(
        "meetings",
        _id(),
        _at("starts_at", nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        _fk("created_by", "people.id"),
        _at("created_at", nullable=False),
        _at("started_at"),
        _at("ended_at"),
        _at("cancelled_at"),
        _at("minutes_approved_at"),
        sa.Column("units_total", sa.Integer),
        sa.Column("units_present", sa.Integer),
    )
    op.create_table(
        "motions",
        _id(),
        _fk("meeting_id", "meetings.id", nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("ballot", sa.String(24), nullable=False),
        sa.Column("document_ids", sa.JSON, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        _at("opened_at"),
        _at("closed_at"),
        sa.Column("votes_for", sa.Integer),
        sa.Column("votes_against", sa.Integer),
        sa.Column("abstentions", sa.Integer),
        sa.Column("present", sa.Integer),
        sa.Column("passed", sa.Boolean),
        sa.Column("receipts_digest", sa.String(64)),
        sa.UniqueConstraint("meeting_id", "position", name="uq_motions_position"),
    )
    op.create_index("ix_motions_meeting_id", "motions", ["meeting_id"])


def _attendance() -> None:
    op.create_table(
        "attendance",
        _id(),
        _fk("meeting_id", "meetings.id", nullable=False),
        _fk("seat_id", "seats.id", nullable=False),
        _fk("representative_id", "people.id"),
        sa.Column("representative_token", sa.String(48)),
        sa.Column("representative_name", sa.String(256)),
        sa.Column("leave_reason", sa.Text),
        _at("leave_at"),
        _at("checked_in_at"),
        _fk("checked_in_by", "people.id"),
        sa.Column("presence", sa.String(24)),
        sa.UniqueConstraint("meeting_id", "seat_id", name="uq_attendance_seat"),
        sa.UniqueConstraint("representative_token", name="uq_attendance_representative_token"),
    )
    op.create_index("ix_attendance_meeting_id", "attendance", ["meeting_id"])
    op.create_index("ix_attendance_seat_id", "attendance", ["seat_id"])
    op.create_index(
        "uq_attendance_one_representation",
        "attendance",
        ["meeting_id", "representative_id"],
        unique=True,
        sqlite_where=REPRESENTED,
        postgresql_where=REPRESENTED,
    )


def _votes() -> None:
    op.create_table(
        "votes",
        _id(),
        _fk("motion_id", "motions.id", nullable=False),
        _fk("seat_id", "seats.id", nullable=False),
        _fk("person_id", "people.id", nullable=False),
        sa.Column("choice", sa.String(24)),
        _at("cast_at", nullable=False),
        _at("changed_at"),
        sa.UniqueConstraint("motion_id", "seat_id", name="uq_votes_seat"),
    )
    op.create_index("ix_votes_motion_id", "votes", ["motion_id"])
    op.create_table(
        "secret_ballots",
        sa.Column("receipt", sa.String(64), nullable=False),
        _fk("motion_id", "motions.id", nullable=False),
        sa.Column("choice", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("receipt", name="pk_secret_ballots"),
    )
    op.create_index("ix_secret_ballots_motion_id", "secret_ballots", ["motion_id"])


def downgrade() -> None:
    for table in (
        "leadership_chats",
        "secret_ballots",
        "votes",
        "attendance",
        "motions",
        "meetings",
        "seats",
    ):
        op.drop_table(table)
