"""Membership: unit details, contacts, applications, discipline, withdrawals, participation.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN_APPLICATION = sa.text("status IN ('pending', 'info_requested')")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _fk(column: str, target: str, nullable: bool = True, ondelete: str | None = None) -> sa.Column:
    return sa.Column(
        column, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    with op.batch_alter_table("units") as units:
        units.add_column(
            sa.Column("unit_type", sa.String(32), nullable=False, server_default="other")
        )
        units.add_column(sa.Column("sub_sectors", sa.JSON, nullable=False, server_default="[]"))
        units.add_column(sa.Column("region", sa.String(128), nullable=False, server_default=""))
        units.add_column(sa.Column("tier", sa.String(24), nullable=False, server_default="member"))
        units.add_column(sa.Column("tier_since", sa.Date))
        units.add_column(sa.Column("joined_on", sa.Date))
        units.add_column(sa.Column("left_on", sa.Date))
        units.add_column(sa.Column("inactivity_warned_on", sa.Date))
    _create(
        "contacts",
        _fk("unit_id", "units.id", ondelete="CASCADE", nullable=False),
        _fk("person_id", "people.id"),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("is_main", sa.Boolean, nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("person_id", name="uq_contacts_person_id"),
    )
    op.create_index("ix_contacts_unit_id", "contacts", ["unit_id"])
    op.create_index(
        "uq_contacts_one_main",
        "contacts",
        ["unit_id"],
        unique=True,
        sqlite_where=sa.text("is_main"),
        postgresql_where=sa.text("is_main"),
    )
    _create(
        "applications",
        _fk("applicant_id", "people.id", nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("unit_name", sa.String(256), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("unit_type", sa.String(32), nullable=False),
        sa.Column("sub_sectors", sa.JSON, nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("contact_name", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("form_name", sa.String(256), nullable=False),
        sa.Column("form_file_id", sa.String(256), nullable=False),
        sa.Column("form_content", sa.LargeBinary, nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        _fk("decided_by", "people.id"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("exchange", sa.JSON, nullable=False),
    )
    op.create_index("ix_applications_credit_code", "applications", ["credit_code"])
    op.create_index(
        "uq_applications_one_open",
        "applications",
        ["credit_code"],
        unique=True,
        sqlite_where=OPEN_APPLICATION,
        postgresql_where=OPEN_APPLICATION,
    )
    _create(
        "discipline_records",
        _fk("unit_id", "units.id", nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _fk("decided_by", "people.id"),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("lifted_at", UTCDateTime()),
        _fk("lifted_by", "people.id"),
    )
    op.create_index("ix_discipline_records_unit_id", "discipline_records", ["unit_id"])
    _create(
        "withdrawals",
        _fk("unit_id", "units.id", nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        _fk("requested_by", "people.id"),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("taken_back_at", UTCDateTime()),
        sa.Column("completed_at", UTCDateTime()),
    )
    op.create_index("ix_withdrawals_unit_id", "withdrawals", ["unit_id"])
    _create(
        "participation",
        _fk("unit_id", "units.id", nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
    )
    op.create_index("ix_participation_unit_id", "participation", ["unit_id"])
    _create(
        "project_filings",
        _fk("unit_id", "units.id", nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("client", sa.String(256), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        _fk("filed_by", "people.id", nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime()),
        _fk("acknowledged_by", "people.id"),
    )
    op.create_index("ix_project_filings_unit_id", "project_filings", ["unit_id"])
    op.create_table(
        "contact_invites",
        sa.Column("token", sa.String(48), nullable=False),
        _fk("unit_id", "units.id", ondelete="CASCADE", nullable=False),
        _fk("created_by", "people.id", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
        _fk("used_by", "people.id"),
        sa.Column("as_main", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_contact_invites"),
    )


def _create(name: str, *columns: object) -> None:
    op.create_table(name, _id(), *columns)


def downgrade() -> None:
    for table in (
        "contact_invites",
        "project_filings",
        "participation",
        "withdrawals",
        "discipline_records",
        "applications",
        "contacts",
    ):
        op.drop_table(table)
    with op.batch_alter_table("units") as units:
        for column in (
            "left_on",
            "joined_on",
            "tier_since",
            "tier",
            "region",
            "sub_sectors",
            "unit_type",
        ):
            units.drop_column(column)
