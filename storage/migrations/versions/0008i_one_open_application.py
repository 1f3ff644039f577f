"""One open application per person (issue 17: one guest filed application after application).

An applicant's open applications beyond their oldest are closed first, as rejected with the
reason below (their sealed forms then go after the retention period, like any rejected one),
so that the unique index can be built on a database that took such a flood.

Revision ID: 0008i
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008i"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN_APPLICATION = sa.text("status IN ('pending', 'info_requested')")
DUPLICATE = "Closed on upgrade: the applicant had an earlier application under review."


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE applications SET status = 'rejected', reason = :reason, "
            "decided_at = submitted_at "
            "WHERE status IN ('pending', 'info_requested') AND EXISTS ("
            "SELECT 1 FROM applications AS earlier "
            "WHERE earlier.applicant_id = applications.applicant_id "
            "AND earlier.status IN ('pending', 'info_requested') "
            "AND earlier.id < applications.id)"
        ).bindparams(reason=DUPLICATE)
    )
    op.create_index(
        "uq_applications_one_open_per_applicant",
        "applications",
        ["applicant_id"],
        unique=True,
        sqlite_where=OPEN_APPLICATION,
        postgresql_where=OPEN_APPLICATION,
    )


def downgrade() -> None:
    op.drop_index("uq_applications_one_open_per_applicant", table_name="applications")
