"""The throttle of notices to the secretariat: at most one per person an hour (issue 17).

Revision ID: 0008b
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import storage.notice_throttle_models  # noqa: F401  (registers the model with the metadata)
from storage.models import UTCDateTime

revision = "0008b"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_throttle",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.BigInteger, nullable=False),
        sa.Column("told_at", UTCDateTime(), nullable=False),
        sa.Column("held", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject", name="pk_notice_throttle"),
    )


def downgrade() -> None:
    op.drop_table("notice_throttle")
