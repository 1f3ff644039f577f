"""The database engine and session factory; the session's lifetime is decided by callers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver


def create_engine(url: str, busy_timeout_ms: int = 5000, **kwargs: Any) -> AsyncEngine:
    """Creates an engine; on SQLite turns on foreign keys, WAL and a busy timeout (how long a
    writer waits for another's lock before the update is answered "try again"), and through
    aiosqlite makes each statement one trip to SQLite's thread (storage/sqlite_driver.py)."""
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)  # a server restart leaves dead connections
    elif url.startswith("sqlite+aiosqlite"):
        kwargs.setdefault("module", sqlite_driver.dbapi())
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(
            engine.sync_engine, "connect", functools.partial(_sqlite_pragmas, busy_timeout_ms)
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Any) -> None:
    # Deferred: readers never wait. An update's transaction writes first (its update key),
    # so it waits its turn for the write lock instead of failing on a read-to-write upgrade.
    # A job reads before it writes: it asks for the lock at BEGIN (see `writing`), where the
    # busy timeout applies, instead of failing at once ("database is locked") on the upgrade.
    if conn.get_execution_options().get(IMMEDIATE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _sqlite_pragmas(busy_timeout_ms: int, dbapi_connection: Any, _record: Any) -> None:
    # The driver's own BEGIN handling breaks SAVEPOINT and transactional DDL; we emit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def writer_queue(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[Any]:
    """What an update's transaction holds while it runs: on SQLite, a lock in the process.

    SQLite lets one writer in at a time and makes the others poll with sleeps of up to 100 ms;
    queuing them on an asyncio lock lets the next one in the moment the last commits. On
    PostgreSQL, rows are locked, not the database: nothing to queue for.
    """
    if engine.dialect.name == "sqlite":
        return asyncio.Lock()
    return _NoQueue()


class _NoQueue(contextlib.AbstractAsyncContextManager[None]):
    async def __aexit__(self, *_: object) -> None:
        return None


IMMEDIATE = "dtpc_begin_immediate"  # execution option read by `_sqlite_begin`


@contextlib.asynccontextmanager
async def writing(
    sessions: async_sessionmaker[AsyncSession],
    writers: contextlib.AbstractAsyncContextManager[Any],
) -> AsyncIterator[AsyncSession]:
    """A transaction for a job that reads before it writes, under the writer discipline of
    updates: queued in the process behind the other writers (`writer_queue`), and on SQLite
    holding the write lock from BEGIN, so that the outbox worker's commit between its first
    read and its first write cannot fail it with "database is locked"."""
    async with writers, sessions() as session, session.begin():
        await session.connection(execution_options={IMMEDIATE: True})
        yield session


# Each dialect's INSERT, the one with ON CONFLICT (both of ours have it), by dialect name.
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_ignoring_conflicts(session: AsyncSession, model: type[Any]) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` for `model`, in the session's dialect: one
    statement that writes first, with no read before it."""
    return INSERTS[session.bind.dialect.name](model).on_conflict_do_nothing()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
