"""The one-trip aiosqlite adapter (storage/sqlite_driver.py): what SQLAlchemy reads from a
cursor is what the stock adapter gives, and a statement costs one trip to SQLite's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import people, updates
from storage.db import create_engine, session_factory
from storage.models import Person, ProcessedUpdate
from storage.sqlite_driver import OneTripCursor
from tests.support import databases

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(databases.copy_sqlite(sqlite_template, tmp_path))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The calls handed to SQLite's thread, by name."""
    made: list[str] = []
    handed = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(fn.__name__)
        return await handed(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield made


def _person(telegram_id: int) -> dict[str, Any]:
    return {
        "telegram_id": telegram_id,
        "chat_id": telegram_id,
        "display_name": "",
        "created_at": NOW,
    }


async def test_the_engine_uses_the_one_trip_cursor(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)  # type: ignore[union-attr]


async def test_rows_counts_and_new_ids_are_read_as_sqlite_gave_them(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(Person).values(**_person(1)))
        assert first.inserted_primary_key is not None and first.inserted_primary_key[0] > 0
        many = await conn.execute(insert(Person), [_person(2), _person(3), _person(4)])
        assert many.rowcount == 3
        changed = await conn.execute(
            update(Person).where(Person.telegram_id > 2).values(display_name="x")
        )
        assert changed.rowcount == 2
        returned = await conn.execute(
            update(Person).where(Person.telegram_id < 3).values(display_name="y")
            .returning(Person.telegram_id)
        )  # fmt: skip
        assert sorted(returned.scalars()) == [1, 2]
        rows = (await conn.execute(select(Person.telegram_id).order_by(Person.telegram_id))).all()
        assert [r.telegram_id for r in rows] == [1, 2, 3, 4]
        assert (await conn.execute(select(Person).where(Person.id < 0))).first() is None
        assert list((await conn.execute(text("SELECT 1 AS one"))).keys()) == ["one"]


async def test_a_transaction_of_one_statement_is_three_trips(
    engine: AsyncEngine, trips: list[str]
) -> None:
    await (await engine.connect()).close()  # the pool's first connection, made beforehand
    trips.clear()
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.scalar(select(func.count()).select_from(Person))
    # BEGIN, the statement, COMMIT: no cursor opened or closed apart, no rollback on return
    assert trips == ["_run", "_run", "commit"]


async def test_a_transaction_left_open_is_rolled_back_when_returned(
    engine: AsyncEngine, trips: list[str]
) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        await session.execute(insert(Person).values(**_person(7)))
    assert trips[-1] == "rollback"
    async with sessions() as session:
        assert await session.scalar(select(Person).where(Person.telegram_id == 7)) is None


async def test_an_error_is_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        assert await updates.claim(session, "u1", NOW)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await people.ensure(session, 8, 8, NOW)
            session.add(ProcessedUpdate(key="u1", processed_at=NOW))
    async with sessions() as session, session.begin():
        assert await session.scalar(select(Person).where(Person.telegram_id == 8)) is None
        assert not await updates.claim(session, "u1", NOW)
