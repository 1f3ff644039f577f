"""Every migration walks up and down on both databases; the audit log stays append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from storage import audit, migrate
from storage.db import create_engine, session_factory
from storage.models import AuditEntry, Base


async def test_walk_down_and_up(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert not await migrate.pending(engine)
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables <= {"alembic_version"}
        assert await migrate.pending(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        await engine.dispose()


async def test_audit_log_is_append_only(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await audit.record(session, datetime.now(UTC), None, "test.action", "x")
        for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with sessions() as session, session.begin():
                    await session.execute(text(statement))
        async with sessions() as session:
            assert [e.action for e in await audit.recent(session)] == ["test.action"]
            assert await session.get(AuditEntry, 1) is not None
    finally:
        await engine.dispose()
