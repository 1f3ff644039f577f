"""Privacy: consents to the privacy notice, and people's own requests for erasure.

Revision ID: 0008p
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0008p"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", name="fk_privacy_consents_person_id_people"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("notice_version", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_consents"),
    )
    op.create_index("ix_privacy_consents_person_id", "privacy_consents", ["person_id"])
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", name="fk_privacy_requests_person_id_people"),
            nullable=False,
        ),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column(
            "decided_by",
            sa.Integer,
            sa.ForeignKey("people.id", name="fk_privacy_requests_decided_by_people"),
        ),
        sa.Column("outcome", sa.String(16)),
        sa.Column(
            "erasure_id",
            sa.Integer,
            sa.ForeignKey(
                "privacy_erasures.id", name="fk_privacy_requests_erasure_id_privacy_erasures"
            ),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_requests"),
    )
    op.create_index("ix_privacy_requests_person_id", "privacy_requests", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_privacy_requests_person_id", "privacy_requests")
    op.drop_table("privacy_requests")
    op.drop_index("ix_privacy_consents_person_id", "privacy_consents")
    op.drop_table("privacy_consents")
