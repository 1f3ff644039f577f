"""Notices: notices and their recipients (art. 13(1), 17, 33); the outbox learns formatted
text and deleting a sent copy.

Revision ID: 0005n
Revises: 0002, 0004d (the outbox; units and contacts come with 0003, documents with 0004d)
"""

import sqlalchemy as sa
from alembic import op

import storage.notices_models  # noqa: F401  (registers the models with the metadata)
from storage.models import UTCDateTime

revision = "0005n"
down_revision = ("0002", "0004d")
branch_labels = None
depends_on = None


def _fk(column: str, target: str, ondelete: str | None = None, **kw: object) -> sa.Column:
    return sa.Column(column, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), **kw)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as outbox:
        outbox.add_column(sa.Column("parse_mode", sa.String(8)))
        outbox.add_column(sa.Column("delete_message_id", sa.BigInteger))
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("file_name", sa.String(256)),
        sa.Column("file_id", sa.String(256)),
        sa.Column("links", sa.JSON, nullable=False),
        _fk("document_id", "documents.id"),
        _fk("report_upload_id", "document_versions.id"),
        sa.Column("audience", sa.String(24), nullable=False),
        sa.Column("audience_value", sa.String(128), nullable=False),
        sa.Column("unit_ids", sa.JSON, nullable=False),
        sa.Column("ack_required", sa.Boolean, nullable=False),
        sa.Column("ack_deadline", UTCDateTime()),
        sa.Column("remind_at", sa.JSON, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("send_at", UTCDateTime(), nullable=False),
        _fk("created_by", "people.id", ondelete="SET NULL"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("cancelled_at", UTCDateTime()),
        _fk("batch_id", "delivery_batches.id"),
        _fk("deletion_batch_id", "delivery_batches.id"),
    )
    op.create_index("ix_notices_status_send_at", "notices", ["status", "send_at"])
    op.create_table(
        "notice_recipients",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("notice_id", "notices.id", ondelete="CASCADE", nullable=False),
        _fk("person_id", "people.id", ondelete="CASCADE", nullable=False),
        _fk("unit_id", "units.id"),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        _fk("outbox_id", "outbox.id"),
        _fk("lead_outbox_id", "outbox.id"),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.Column("reminded", sa.Integer, nullable=False),
        sa.UniqueConstraint("notice_id", "person_id", name="uq_notice_recipients_notice_id"),
    )
    op.create_index("ix_notice_recipients_unit_id", "notice_recipients", ["unit_id"])


def downgrade() -> None:
    op.drop_table("notice_recipients")
    op.drop_table("notices")
    with op.batch_alter_table("outbox") as outbox:
        outbox.drop_column("delete_message_id")
        outbox.drop_column("parse_mode")
