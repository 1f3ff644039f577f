"""Onboarding: invitations (which replace contact_invites) and the demo center's marks.

Revision ID: 0005o
Revises: 0004m (seats; units and contacts come with 0003)
"""

import sqlalchemy as sa
from alembic import op

from storage import onboarding_models  # noqa: F401  (the models join Base.metadata)
from storage.models import UTCDateTime

revision = "0005o"
down_revision = "0004m"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, ondelete: str | None = None, nullable: bool = True) -> sa.Column:
    return sa.Column(
        column, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def _at(column: str, nullable: bool = True) -> sa.Column:
    return sa.Column(column, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    invitations = op.create_table(
        "invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        _fk("unit_id", "units.id", ondelete="CASCADE"),
        _fk("contact_id", "contacts.id", ondelete="SET NULL"),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("as_main", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _fk("created_by", "people.id"),
        _at("created_at", nullable=False),
        _at("expires_at", nullable=False),
        _at("sent_at"),
        _at("used_at"),
        _fk("used_by", "people.id"),
        _at("revoked_at"),
        _fk("revoked_by", "people.id"),
        sa.UniqueConstraint("token", name="uq_invitations_token"),
    )
    op.create_index("ix_invitations_unit_id", "invitations", ["unit_id"])
    _carry_over_contact_invites(invitations)
    op.drop_table("contact_invites")
    op.create_table(
        "demo_units",
        _fk("unit_id", "units.id", ondelete="CASCADE", nullable=False),
        _at("created_at", nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name="pk_demo_units"),
    )


def _carry_over_contact_invites(invitations: sa.Table) -> None:
    """Links a unit already handed out keep working: the same token, the same terms."""
    old = sa.table(
        "contact_invites",
        *(sa.column(name) for name in ("token", "unit_id", "created_by", "as_main")),
        *(sa.column(name, UTCDateTime()) for name in ("created_at", "expires_at", "used_at")),
        sa.column("used_by"),
    )
    rows = op.get_bind().execute(sa.select(old)).mappings().all()
    op.bulk_insert(
        invitations,
        [
            {
                **row,
                "kind": "contact",
                "name": "",
                "phone": "",
                "email": "",
                "source": "unit",
            }
            for row in rows
        ],
    )


def downgrade() -> None:
    op.drop_table("demo_units")
    op.create_table(
        "contact_invites",
        sa.Column("token", sa.String(48), nullable=False),
        _fk("unit_id", "units.id", ondelete="CASCADE", nullable=False),
        _fk("created_by", "people.id", nullable=False),
        _at("created_at", nullable=False),
        _at("expires_at", nullable=False),
        _at("used_at"),
        _fk("used_by", "people.id"),
        sa.Column("as_main", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_contact_invites"),
    )
    op.drop_index("ix_invitations_unit_id", "invitations")
    op.drop_table("invitations")
