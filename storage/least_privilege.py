"""The PostgreSQL role the bot should run as: it reads and writes rows, and nothing more.

The append-only logs are kept so by triggers; a role that owns a table, or may TRUNCATE it,
can step around them (drop or disable the trigger, or empty the table, which fires no row
trigger). Migrations run as the owner (`python -m bot migrate`); the bot runs as this role.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Logs whose rows are never deleted; an UPDATE is let through by their triggers only for an
# open erasure's redactions (storage/migrations/versions/0005_privacy.py) or an erasure's close.
APPEND_ONLY_UPDATABLE = ("audit_log", "document_deliveries", "privacy_erasures")
APPEND_ONLY = (*APPEND_ONLY_UPDATABLE, "privacy_redactions")
READ_ONLY = ("alembic_version",)  # the bot checks it at start; migrating is the owner's

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grants(role: str, database: str) -> list[str]:
    """The statements that create `role` (if missing) and give it exactly what the bot needs.

    Idempotent: run it again after each migration, so new tables are granted too.
    """
    if not _NAME.fullmatch(role):
        raise ValueError("a role name is lower-case letters, digits and _, at most 63")
    quoted_db = '"' + database.replace('"', '""') + '"'
    fixed = ", ".join((*APPEND_ONLY, *READ_ONLY))
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} LOGIN; END IF; END $$",
        f"GRANT CONNECT ON DATABASE {quoted_db} TO {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON {fixed} FROM {role}",
        f"GRANT INSERT ON {', '.join(APPEND_ONLY)} TO {role}",
        f"GRANT UPDATE ON {', '.join(APPEND_ONLY_UPDATABLE)} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]


async def apply(engine: AsyncEngine, role: str) -> None:
    """Runs `grants` on the database `engine` points at, as its owner."""
    database = engine.url.database or ""
    async with engine.begin() as conn:
        for statement in grants(role, database):
            await conn.execute(text(statement))
