"""Applies Alembic migrations on an async engine; used at start-up, by the CLI and tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Brings the schema up to `revision`."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_run, command.downgrade, revision)


async def pending(engine: AsyncEngine) -> bool:
    """True when the database is behind the newest migration."""
    async with engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_heads()
        )
    return set(current) != set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _run(connection: Connection, action: object, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    action(config, revision)  # type: ignore[operator]
