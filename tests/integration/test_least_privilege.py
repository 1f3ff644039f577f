"""The least-privilege PostgreSQL role (`python -m bot db-role`): the bot works with it, and it
cannot empty, delete from, or step around the triggers of the append-only logs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.app import build_app
from bot.settings import Settings
from storage import least_privilege
from storage.db import create_engine
from storage.models import AuditEntry
from tests.conftest import ADMIN_ID
from tests.support import databases
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock


@pytest.fixture
async def bot_role_url(postgres_database: str) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, the same database as a fresh least-privilege role); the role is dropped."""
    owner_url = postgres_database
    await databases.truncate_all(owner_url)
    role = f"dtpc_bot_{uuid.uuid4().hex[:8]}"
    owner = create_engine(owner_url)
    await least_privilege.apply(owner, role)
    yield owner_url, make_url(owner_url).set(username=role).render_as_string(False)
    async with owner.begin() as conn:
        await conn.execute(text(f"DROP OWNED BY {role}"))
        await conn.execute(text(f"DROP ROLE {role}"))
    await owner.dispose()


async def test_the_bot_runs_as_the_least_privilege_role(bot_role_url: tuple[str, str]) -> None:
    _owner_url, role_url = bot_role_url
    settings = Settings(
        _env_file=None, database_url=role_url, admin_ids=(ADMIN_ID,), flood_burst=10_000
    )
    app = await build_app(settings, FakeClock())  # migrations are current: nothing to apply
    try:
        staff, guest = ChatClient(app, ADMIN_ID), ChatClient(app, 4242)
        await guest.send("/start")
        await staff.send("/grant 4242 expert")
        assert "4242" in staff.text
        async with app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(AuditEntry)) >= 1
    finally:
        await app.close()


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_log",
        "DELETE FROM audit_log",
        "DELETE FROM document_deliveries",
        "DELETE FROM privacy_redactions",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TABLE audit_log",
        "UPDATE alembic_version SET version_num = 'x'",
    ],
)
async def test_the_role_cannot_step_around_the_append_only_logs(
    bot_role_url: tuple[str, str], statement: str
) -> None:
    _owner_url, role_url = bot_role_url
    engine = create_engine(role_url)
    try:
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def test_role_names_are_checked() -> None:
    with pytest.raises(ValueError):
        least_privilege.grants('x"; DROP TABLE units; --', "db")
