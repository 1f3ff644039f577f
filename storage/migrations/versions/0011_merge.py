"""One head again after issue 20's revisions (0010n secretariat notes, 0010r subjects).

Revision ID: 0011
Revises: 0010n, 0010r
"""

revision = "0011"
down_revision = ("0010n", "0010r")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
