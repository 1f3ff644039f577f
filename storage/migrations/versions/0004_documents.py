"""Documents: documents, their versions (with the files), and the append-only access log.

Revision ID: 0004d
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import storage.documents_models  # noqa: F401  (the models this revision creates)
from storage.models import UTCDateTime

revision = "0004d"
down_revision = "0003"
branch_labels = None
depends_on = None

LOG = "document_deliveries"
APPEND_ONLY_SQLITE = f"""
CREATE TRIGGER {LOG}_no_{{verb}} BEFORE {{verb}} ON {LOG}
BEGIN SELECT RAISE(ABORT, '{LOG} is append-only'); END
"""
APPEND_ONLY_POSTGRES = [
    f"""
    CREATE FUNCTION {LOG}_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{LOG} is append-only'; END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER {LOG}_append_only BEFORE UPDATE OR DELETE ON {LOG}
    FOR EACH ROW EXECUTE FUNCTION {LOG}_append_only()
    """,
]


def _fk(column: str, target: str, nullable: bool = True) -> sa.Column:
    return sa.Column(column, sa.Integer, sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    _documents()
    _versions()
    _deliveries()
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(APPEND_ONLY_SQLITE.format(verb=verb))
    else:
        for statement in APPEND_ONLY_POSTGRES:
            op.execute(statement)


def _documents() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("level", sa.String(24), nullable=False),
        sa.Column("unit_ids", sa.JSON, nullable=False),
        sa.Column("embargo_until", UTCDateTime()),
        sa.Column("review_level", sa.String(24)),
        sa.Column("review_unit_ids", sa.JSON, nullable=False),
        sa.Column("released_at", UTCDateTime()),
        sa.Column("current_version", sa.Integer, nullable=False),
        _fk("created_by", "people.id"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def _versions() -> None:
    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("document_id", "documents.id"),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_id", sa.String(256), nullable=False),
        sa.Column("file_bot", sa.String(32), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        _fk("uploaded_by", "people.id"),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("document_id", "number", name="uq_document_versions_document_id"),
    )
    op.create_index("ix_document_versions_document_id", "document_versions", ["document_id"])


def _deliveries() -> None:
    op.create_table(
        LOG,
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("document_id", "documents.id", nullable=False),
        _fk("version_id", "document_versions.id", nullable=False),
        _fk("person_id", "people.id", nullable=False),
        _fk("unit_id", "units.id"),
        sa.Column("person_name", sa.String(256), nullable=False),
        sa.Column("unit_name", sa.String(256), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("path", sa.String(24), nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("watermarked", sa.Boolean, nullable=False),
        sa.Column("trace_code", sa.String(16)),
        sa.UniqueConstraint("trace_code", name=f"uq_{LOG}_trace_code"),
    )
    op.create_index(f"ix_{LOG}_document_id", LOG, ["document_id"])
    op.create_index(f"ix_{LOG}_person_id", LOG, ["person_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(f"DROP TRIGGER {LOG}_append_only ON {LOG}")
        op.execute(f"DROP FUNCTION {LOG}_append_only()")
    for table in (LOG, "document_versions", "documents"):
        op.drop_table(table)  # SQLite drops a table's triggers with it
