"""Privacy: erasures, the rows they redacted, and the one narrow exception to append-only.

The audit log and the document access log keep refusing every DELETE, and every UPDATE but
one: an open erasure (`privacy_erasures.finished_at` NULL) that has named the row in
`privacy_redactions` may rewrite its free-text columns (`details` and `note` of the audit log,
`person_name` of the access log); every other column must stay as it was. See
storage/privacy_models.py and bot/services/privacy.py.

Revision ID: 0005p
Revises: 0004d
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0005p"
down_revision = "0004d"
branch_labels = None
depends_on = None

# The columns each log may have rewritten by an erasure; all the others are compared.
REWRITABLE = {"audit_log": ("details", "note"), "document_deliveries": ("person_name",)}
FIXED_SQLITE = {
    "audit_log": ("id", "at", "actor_id", "action", "subject"),
    "document_deliveries": (
        "id", "document_id", "version_id", "person_id", "unit_id", "unit_name", "at", "path",
        "allowed", "reason", "protected", "watermarked", "trace_code",
    ),
}  # fmt: skip
OPEN_REDACTION = """EXISTS (
    SELECT 1 FROM privacy_redactions r JOIN privacy_erasures e ON e.id = r.erasure_id
    WHERE r.log = '{log}' AND r.row_id = OLD.id AND e.finished_at IS NULL)"""

SQLITE_UPDATE = """
CREATE TRIGGER {log}_no_UPDATE BEFORE UPDATE ON {log}
WHEN NOT ({fixed} AND {redaction})
BEGIN SELECT RAISE(ABORT, '{log} is append-only'); END
"""
SQLITE_ORIGINAL = """
CREATE TRIGGER {log}_no_UPDATE BEFORE UPDATE ON {log}
BEGIN SELECT RAISE(ABORT, '{log} is append-only'); END
"""
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION {log}_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) {minus}) = (to_jsonb(OLD) {minus}) AND {redaction}
    THEN RETURN NEW; END IF;
    RAISE EXCEPTION '{log} is append-only';
END $$ LANGUAGE plpgsql
"""
POSTGRES_ORIGINAL = """
CREATE OR REPLACE FUNCTION {log}_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{log} is append-only'; END $$ LANGUAGE plpgsql
"""
# The erasure record and its list of redactions are themselves append-only; an erasure may
# only be closed (finished_at set, with its summary), once.
SQLITE_OWN = [
    """CREATE TRIGGER privacy_erasures_no_DELETE BEFORE DELETE ON privacy_erasures
    BEGIN SELECT RAISE(ABORT, 'privacy_erasures is append-only'); END""",
    """CREATE TRIGGER privacy_erasures_close_only BEFORE UPDATE ON privacy_erasures
    WHEN NOT (OLD.finished_at IS NULL AND NEW.id = OLD.id AND NEW.person_id = OLD.person_id
        AND NEW.actor_id IS OLD.actor_id AND NEW.at = OLD.at)
    BEGIN SELECT RAISE(ABORT, 'privacy_erasures is append-only'); END""",
    """CREATE TRIGGER privacy_redactions_no_UPDATE BEFORE UPDATE ON privacy_redactions
    BEGIN SELECT RAISE(ABORT, 'privacy_redactions is append-only'); END""",
    """CREATE TRIGGER privacy_redactions_no_DELETE BEFORE DELETE ON privacy_redactions
    BEGIN SELECT RAISE(ABORT, 'privacy_redactions is append-only'); END""",
]
POSTGRES_OWN = [
    """CREATE FUNCTION privacy_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_TABLE_NAME = 'privacy_erasures' AND TG_OP = 'UPDATE' THEN
            -- nested: OLD has a finished_at only in this table
            IF (to_jsonb(OLD) ->> 'finished_at') IS NULL
                AND (to_jsonb(NEW) - 'finished_at' - 'summary')
                    = (to_jsonb(OLD) - 'finished_at' - 'summary')
            THEN RETURN NEW; END IF;
        END IF;
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER privacy_erasures_append_only BEFORE UPDATE OR DELETE ON privacy_erasures
    FOR EACH ROW EXECUTE FUNCTION privacy_append_only()""",
    """CREATE TRIGGER privacy_redactions_append_only BEFORE UPDATE OR DELETE
    ON privacy_redactions FOR EACH ROW EXECUTE FUNCTION privacy_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "privacy_erasures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", name="fk_privacy_erasures_person_id_people"),
            nullable=False,
        ),
        sa.Column(
            "actor_id",
            sa.Integer,
            sa.ForeignKey("people.id", name="fk_privacy_erasures_actor_id_people"),
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_erasures"),
    )
    op.create_index("ix_privacy_erasures_person_id", "privacy_erasures", ["person_id"])
    op.create_table(
        "privacy_redactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "erasure_id",
            sa.Integer,
            sa.ForeignKey(
                "privacy_erasures.id", name="fk_privacy_redactions_erasure_id_privacy_erasures"
            ),
            nullable=False,
        ),
        sa.Column("log", sa.String(32), nullable=False),
        sa.Column("row_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_redactions"),
        sa.UniqueConstraint(
            "erasure_id", "log", "row_id", name="uq_privacy_redactions_erasure_id"
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        for log in REWRITABLE:
            op.execute(f"DROP TRIGGER {log}_no_UPDATE")
            op.execute(SQLITE_UPDATE.format(log=log, fixed=_fixed(log), redaction=_open(log)))
        for statement in SQLITE_OWN:
            op.execute(statement)
    else:
        for log, columns in REWRITABLE.items():
            minus = " ".join(f"- '{column}'" for column in columns)
            op.execute(POSTGRES_FUNCTION.format(log=log, minus=minus, redaction=_open(log)))
        for statement in POSTGRES_OWN:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for log in REWRITABLE:
            op.execute(f"DROP TRIGGER {log}_no_UPDATE")
            op.execute(SQLITE_ORIGINAL.format(log=log))
    else:
        for log in REWRITABLE:
            op.execute(POSTGRES_ORIGINAL.format(log=log))
        op.execute("DROP TRIGGER privacy_erasures_append_only ON privacy_erasures")
        op.execute("DROP TRIGGER privacy_redactions_append_only ON privacy_redactions")
        op.execute("DROP FUNCTION privacy_append_only()")
    op.drop_table("privacy_redactions")  # SQLite drops a table's triggers with it
    op.drop_table("privacy_erasures")


def _fixed(log: str) -> str:
    return " AND ".join(f"NEW.{column} IS OLD.{column}" for column in FIXED_SQLITE[log])


def _open(log: str) -> str:
    return OPEN_REDACTION.format(log=log)
