"""What an outbox row records once Telegram confirmed its send (issue 17: a fetched document
was logged as delivered before it was sent, and lost when the send timed out).

Revision ID: 0008w
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008w"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("on_sent", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("on_sent")
