"""One head again: the feature branches of 0002–0006 merged, so new revisions chain on it.

Revision ID: 0007
Revises: 0005n, 0005o, 0005p, 0005h, 0006m, 0004e
"""

revision = "0007"
down_revision = ("0005n", "0005o", "0005p", "0005h", "0006m", "0004e")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
