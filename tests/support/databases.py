"""Test databases: a migrated SQLite template copied per test; one PostgreSQL database per run."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from storage import migrate
from storage.db import create_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_sqlite_template(folder: Path) -> Path:
    template = folder / "template.sqlite3"
    asyncio.run(_migrate(sqlite_url(template)))
    return template


def copy_sqlite(template: Path, folder: Path) -> str:
    target = folder / "bot.sqlite3"
    shutil.copy(template, target)
    return sqlite_url(target)


def create_postgres_database() -> str:
    """Creates and migrates a fresh database; raises if the server cannot be reached."""
    name = f"dtpc_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrate(url))
    return url


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_all(url: str) -> None:
    """Empties every table; TRUNCATE passes the audit log's append-only row triggers."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        existing = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        tables = ", ".join(f'"{name}"' for name in sorted(existing - {"alembic_version"}))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()


async def _admin(statement: str) -> None:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
