"""The delivery tables the migration creates are the ones the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, Table, UniqueConstraint
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.models import Base

DELIVERY = {"outbox", "delivery_batches", "unreachable_chats", "delivery_workers", "reminders"}


def _table(diff: Any) -> str | None:
    """The table an autogenerate difference is about (they come in several shapes)."""
    if isinstance(diff, list):
        return _table(diff[0])
    if diff[0].startswith("modify_"):
        return str(diff[2])
    subject = diff[-1] if diff[0].endswith("_column") else diff[1]
    if isinstance(subject, Table):
        return subject.name
    if isinstance(subject, Column | Index | UniqueConstraint):
        return subject.table.name
    return getattr(getattr(subject, "table", None), "name", None)


def _differences(connection: Connection) -> list[str]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [str(d) for d in compare_metadata(context, Base.metadata) if _table(d) in DELIVERY]


async def test_migration_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
