"""The digest of the command menu last set for each person's chat.

Revision ID: 0006m
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006m"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as table:
        table.add_column(sa.Column("menu_digest", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as table:
        table.drop_column("menu_digest")
