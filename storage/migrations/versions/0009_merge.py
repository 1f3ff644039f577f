"""One head again after the trust work's revisions (0008b, i, p, r, s, w).

Revision ID: 0009
Revises: 0008b, 0008i, 0008p, 0008r, 0008s, 0008w
"""

revision = "0009"
down_revision = ("0008b", "0008i", "0008p", "0008r", "0008s", "0008w")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
