"""Faults and hostile traffic: a poison update, a flood, the database locked or unreachable.

In each, the update is answered, nothing half-written remains, and later updates go on.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import App
from bot.context import Context
from bot.dispatch import FAILED, SLOW_DOWN, UNAVAILABLE
from bot.reminders.jobs import run_job
from bot.reminders.sweep import ReminderRuntime
from bot.routing import Command
from storage import inbox
from storage.inbox_models import DeadLetter, InboundUpdate
from storage.models import OutboxMessage, Person, ProcessedUpdate
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.tcp_proxy import CuttableProxy

GUEST, OTHER = 4242, 4343


async def count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as session:
        query = select(func.count()).select_from(model)
        return await session.scalar(query.where(*where) if where else query) or 0


async def poison(_ctx: Context) -> None:
    raise RuntimeError("a handler bug that fails every time")


async def test_a_poison_update_is_answered_set_aside_and_never_run_again(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    app.dispatcher.routes.commands["poison"] = Command("poison", poison, "a test's poison")
    guest = ChatClient(app, GUEST)
    await guest.send("/poison", update_key="tg:77")
    assert guest.text == FAILED
    async with app.sessions() as session:
        letter = (await session.scalars(select(DeadLetter))).one()
        assert (letter.update_key, letter.chat_id, letter.summary) == (
            "tg:77",
            GUEST,
            "command /poison",
        )
        assert "RuntimeError" in letter.error
        assert await session.get(ProcessedUpdate, "tg:77") is not None
        told = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "dead_letter")
        )
        assert [m.chat_id for m in told] == [ADMIN_ID]  # the secretariat is told, once
    redelivered = await guest.send("/poison", update_key="tg:77")
    assert redelivered.duplicate and await count(app, DeadLetter) == 1
    await guest.send("/help")  # the chat goes on
    assert guest.text.startswith("What you can do:")


async def test_a_flood_is_warned_once_dropped_and_does_not_slow_anyone_else(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(flood_rate=1, flood_burst=5)
    flooder, other = ChatClient(app, GUEST), ChatClient(app, OTHER)
    outcomes = [await flooder.send(f"spam {n}") for n in range(12)]
    answered = [o.replies[0].text for o in outcomes if o.replies]
    assert len(answered) == 6 and answered[-1] == SLOW_DOWN
    assert all(o.duplicate for o in outcomes[6:])  # silence after the one warning
    assert await count(app, ProcessedUpdate) == 5  # dropped ones cost the database nothing
    await other.send("/help")
    assert other.text.startswith("What you can do:")
    clock.advance(seconds=10)
    await flooder.send("/help")
    assert flooder.text.startswith("What you can do:")


async def test_sqlite_locked_by_another_writer_answers_try_again_and_writes_nothing(
    make_app: MakeApp, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL's outage is the next test")
    app = await make_app(sqlite_busy_timeout_ms=50)
    guest = ChatClient(app, GUEST)
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        await guest.send("/start")
        assert guest.text == UNAVAILABLE
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert await count(app, Person, Person.telegram_id == GUEST) == 0
    assert await count(app, ProcessedUpdate) == 0
    await guest.send("/start")
    assert "Welcome" in guest.text


async def test_postgresql_unreachable_for_a_while_answers_try_again_then_recovers(
    make_app: MakeApp, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a server outage; SQLite is a file")
    url = make_url(database_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        through = url.set(port=proxy.port).render_as_string(hide_password=False)
        app = await make_app(database_url=through)
        guest, admin = ChatClient(app, GUEST), ChatClient(app, ADMIN_ID)
        await guest.send("/start")
        await proxy.cut()  # the server stopped: open connections die, new ones are refused
        for client in (guest, admin):
            await client.send("/help")
            assert client.text == UNAVAILABLE
        await guest.send("/language")
        assert guest.text == UNAVAILABLE
        await proxy.restore()
        await admin.send("/help")  # the pool drops its dead connections and goes on
        assert admin.text.startswith("What you can do:")
        assert await count(app, ProcessedUpdate) == 2  # /start and this /help; none between
    finally:
        await proxy.close()


async def test_housekeeping_forgets_update_keys_and_inbox_rows_only_when_old(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(inbox_replay_seconds=600)
    guest = ChatClient(app, GUEST)
    await guest.send("/help", update_key="tg:1")
    async with app.sessions() as session, session.begin():
        await inbox.record(session, [("tg:2", GUEST, {"update_id": 2})], clock.now())
    rt = ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, {})
    for days, left in ((1, 1), (3, 0)):
        clock.advance(days=days)
        await run_job(rt, "housekeeping")
        assert (await count(app, ProcessedUpdate), await count(app, InboundUpdate)) == (left, left)
    redelivered = await guest.send("/help", update_key="tg:1")  # days later: a new update
    assert not redelivered.duplicate
