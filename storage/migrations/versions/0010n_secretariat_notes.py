"""Routine notes to the secretariat, kept until they go out gathered, one message a minute
(issue 20).

Revision ID: 0010n
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import storage.secretariat_notes_models  # noqa: F401  (registers the model with the metadata)
from storage.models import UTCDateTime

revision = "0010n"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secretariat_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("dedup_key", sa.String(160), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("dedup_key", name="uq_secretariat_notes_dedup_key"),
    )
    op.create_index("ix_secretariat_notes_chat_id", "secretariat_notes", ["chat_id"])


def downgrade() -> None:
    op.drop_index("ix_secretariat_notes_chat_id", "secretariat_notes")
    op.drop_table("secretariat_notes")
