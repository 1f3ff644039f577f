"""Inbox: how many times each polled update was handed over for handling (issue 17: an
update that takes the process down is set aside after two deaths, not replayed forever).

Revision ID: 0008r
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008r"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_updates") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_updates") as batch:
        batch.drop_column("attempts")
