"""Delivery: the outbox, broadcasts, unreachable chats, outbox workers, reminders.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    _delivery_batches()
    _outbox()
    op.create_table(
        "unreachable_chats",
        sa.Column("chat_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_unreachable_chats"),
    )
    op.create_table(
        "delivery_workers",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_delivery_workers"),
    )
    _reminders()


def _delivery_batches() -> None:
    op.create_table(
        "delivery_batches",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("starter_chat_id", sa.BigInteger),
        sa.Column("locale", sa.String(16)),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("progress_message_id", sa.BigInteger),
        sa.Column("progress_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_batches"),
    )


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey("delivery_batches.id", name="fk_outbox_batch_id_delivery_batches"),
        ),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON, nullable=False),
        sa.Column("file_name", sa.String(256)),
        sa.Column("file_content", sa.LargeBinary),
        sa.Column("file_id", sa.String(256)),
        sa.Column("protect", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("uncertain", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("last_error", sa.String(512)),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("dedup_key", sa.String(128)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["priority", "next_attempt_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_outbox_batch_id_status", "outbox", ["batch_id", "status"])
    op.create_index("ix_outbox_chat_id_status", "outbox", ["chat_id", "status"])
    op.create_index("ix_outbox_claimed_by", "outbox", ["claimed_by"])


def _reminders() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", ondelete="CASCADE", name="fk_reminders_person_id_people"),
        ),
        sa.Column("chat_id", sa.BigInteger),
        sa.Column("role", sa.String(16)),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime()),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("dedup_key", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime()),
        sa.Column("note", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint("dedup_key", name="uq_reminders_dedup_key"),
        sa.CheckConstraint(
            "(CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN chat_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN role IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_reminders_one_audience",
        ),
    )
    op.create_index(
        "ix_reminders_due",
        "reminders",
        ["due_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_reminders_due", table_name="reminders")
    op.drop_table("reminders")
    op.drop_table("delivery_workers")
    op.drop_table("unreachable_chats")
    for index in ("ix_outbox_claimed_by", "ix_outbox_chat_id_status", "ix_outbox_batch_id_status"):
        op.drop_index(index, table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("delivery_batches")
