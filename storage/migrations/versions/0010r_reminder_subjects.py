"""Reminders: what each is about (`subject`), so that of several reminders of one thing due
together — after a restart — only the latest is sent (issue 20).

The pending reminders of a meeting, an event place and a notice's follow-ups get their subject
from their dedup key, so the first restart after this upgrade already sends one of each.

Revision ID: 0010r
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010r"
down_revision = "0009"
branch_labels = None
depends_on = None

# kind -> how many ':'-separated parts of its dedup key name the subject:
# meeting:{id}:{seconds before} · event:{event}:s{signup}:v{version}:{name} ·
# notice:{id}:remind:{number}
SUBJECT_PARTS = {"meeting_reminder": 2, "event_reminder": 4, "notice_remind": 3}


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("subject", sa.String(128)))
        batch.create_index("ix_reminders_subject", ["subject", "due_at"])
    _name_pending_subjects()


def _name_pending_subjects() -> None:
    reminders = sa.table(
        "reminders",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("dedup_key", sa.String),
        sa.column("status", sa.String),
        sa.column("subject", sa.String),
    )
    connection = op.get_bind()
    pending = connection.execute(
        sa.select(reminders.c.id, reminders.c.kind, reminders.c.dedup_key).where(
            reminders.c.status == "pending", reminders.c.kind.in_(list(SUBJECT_PARTS))
        )
    )
    for row_id, kind, key in pending.all():
        subject = ":".join(key.split(":")[: SUBJECT_PARTS[kind]])
        connection.execute(
            sa.update(reminders).where(reminders.c.id == row_id).values(subject=subject)
        )


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_index("ix_reminders_subject")
        batch.drop_column("subject")
