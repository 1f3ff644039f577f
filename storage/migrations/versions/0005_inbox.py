"""Inbox of polled updates and dead letters (issue 10: nothing lost to a crash).

Revision ID: 0005h
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import storage.inbox_models  # noqa: F401  (registers the models with the metadata)
from storage.models import UTCDateTime

revision = "0005h"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("key", sa.String(96), primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_inbound_updates_received_at", "inbound_updates", ["received_at"])
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("update_key", sa.String(96), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("update_key", name="uq_dead_letters_update_key"),
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
    op.drop_index("ix_inbound_updates_received_at", "inbound_updates")
    op.drop_table("inbound_updates")
