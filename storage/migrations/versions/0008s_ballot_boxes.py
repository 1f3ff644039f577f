"""Secret ballots in one box per motion (issue 17: a ballot's row could be paired with its
voter's by insertion order or transaction id).

The `secret_ballots` rows, one per ballot written with the voter's row, are moved into one
`ballot_boxes` row per secret motion holding the (receipt, choice) pairs in receipt order;
the old table is dropped, and with it the order and transaction ids that linked its rows to
`votes`. Receipts and tallies stay as they were.

Revision ID: 0008s
Revises: 0007
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0008s"
down_revision = "0007"
branch_labels = None
depends_on = None

BOXES = sa.table("ballot_boxes", sa.column("motion_id", sa.Integer), sa.column("ballots", sa.JSON))
SECRET_BALLOTS = sa.table(
    "secret_ballots",
    sa.column("receipt", sa.String),
    sa.column("motion_id", sa.Integer),
    sa.column("choice", sa.String),
)
MOTIONS = sa.table("motions", sa.column("id", sa.Integer), sa.column("ballot", sa.String))


def upgrade() -> None:
    op.create_table(
        "ballot_boxes",
        sa.Column("motion_id", sa.Integer, sa.ForeignKey("motions.id"), nullable=False),
        sa.Column("ballots", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("motion_id", name="pk_ballot_boxes"),
    )
    bind = op.get_bind()
    ballots: dict[int, list[list[str]]] = defaultdict(list)
    for receipt, motion_id, choice in bind.execute(sa.select(SECRET_BALLOTS)):
        ballots[motion_id].append([receipt, choice])
    secret = bind.execute(sa.select(MOTIONS.c.id).where(MOTIONS.c.ballot == "secret"))
    rows = [{"motion_id": m, "ballots": sorted(ballots[m])} for m in sorted({*secret.scalars()})]
    if rows:
        op.bulk_insert(BOXES, rows)
    op.drop_index("ix_secret_ballots_motion_id", table_name="secret_ballots")
    op.drop_table("secret_ballots")


def downgrade() -> None:
    op.create_table(
        "secret_ballots",
        sa.Column("receipt", sa.String(64), nullable=False),
        sa.Column("motion_id", sa.Integer, sa.ForeignKey("motions.id"), nullable=False),
        sa.Column("choice", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("receipt", name="pk_secret_ballots"),
    )
    op.create_index("ix_secret_ballots_motion_id", "secret_ballots", ["motion_id"])
    bind = op.get_bind()
    rows = [
        {"receipt": receipt, "motion_id": motion_id, "choice": choice}
        for motion_id, ballots in bind.execute(sa.select(BOXES))
        for receipt, choice in ballots
    ]
    if rows:
        op.bulk_insert(SECRET_BALLOTS, rows)
    op.drop_table("ballot_boxes")
