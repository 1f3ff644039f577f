"""Events: events and signups (art. 7, 13(2)).

Revision ID: 0004e
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import storage.events_models  # noqa: F401  (registers the models with the metadata)
from storage.models import UTCDateTime

revision = "0004e"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, nullable: bool = True, ondelete: str | None = None) -> sa.Column:
    return sa.Column(
        column, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("place", sa.String(500), nullable=False),
        sa.Column("capacity", sa.Integer),
        sa.Column("members_until", UTCDateTime()),
        sa.Column("guests_allowed", sa.Boolean, nullable=False),
        sa.Column("per_unit", sa.Integer, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("checkin_code", sa.String(16)),
        _fk("created_by", "people.id", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime()),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="ck_events_capacity_positive"),
        sa.CheckConstraint("per_unit > 0", name="ck_events_per_unit_positive"),
    )
    op.create_table(
        "event_signups",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("event_id", "events.id", nullable=False, ondelete="CASCADE"),
        _fk("person_id", "people.id", nullable=False, ondelete="CASCADE"),
        _fk("unit_id", "units.id"),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("offer_expires_at", UTCDateTime()),
        sa.Column("attended_at", UTCDateTime()),
        _fk("checked_in_by", "people.id"),
        sa.Column("cancelled_at", UTCDateTime()),
        sa.UniqueConstraint("event_id", "person_id", name="uq_event_signups_event_id"),
    )
    op.create_index(
        "ix_event_signups_queue", "event_signups", ["event_id", "status", "queued_at", "id"]
    )
    op.create_index("ix_event_signups_unit_id", "event_signups", ["unit_id"])


def downgrade() -> None:
    op.drop_table("event_signups")
    op.drop_table("events")
