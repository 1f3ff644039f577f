"""Restarts: the daily jobs missed while the bot was down run at start, and a failed job is
tried again within minutes, not at the next 09:00 (issue 17)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import select

from bot.app import App
from bot.delivery.testing import RecordingTransport
from bot.engines.receiving import SET_ASIDE_FOR_SENDER, Receiver
from bot.reminders.jobs import run_job
from bot.reminders.scheduler import sweep_reminders
from bot.reminders.sweep import ReminderRuntime
from storage import inbox, units
from storage.inbox_models import InboundUpdate
from storage.models import OutboxMessage, UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import credit_code, make_unit

MEMBER = 7302
START_UP = 60  # seconds of real time the start-up runs may take on a loaded machine


async def status_of(app: App, code: str) -> UnitStatus:
    async with app.sessions() as session:
        unit = await units.by_credit_code(session, code)
        assert unit is not None
        return unit.status


async def queued_to(app: App, chat_id: int) -> list[str]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id)
        )
        return list(rows)


async def give_notice(app: App, clock: FakeClock, serial: int) -> str:
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), serial, contact_telegram_id=MEMBER)
    contact = ChatClient(app, MEMBER)
    await contact.send("/withdraw")
    await contact.press("Yes, give notice")
    code = credit_code(serial)
    assert await status_of(app, code) is UnitStatus.WITHDRAWING
    return code


async def test_a_withdrawal_due_while_the_bot_was_down_completes_at_start(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """Art. 16(1): notice given, the bot stopped, started again 31 days later: the unit is
    withdrawn by the start-up run, its people told, and a re-application refused (16(6))."""
    first = await make_app()
    code = await give_notice(first, clock, 41)
    await first.close()

    clock.advance(days=31)
    app = await make_app()
    transport = RecordingTransport(clock)
    await app.delivery.start(transport)
    try:
        assert app.delivery.caught_up is not None
        await asyncio.wait_for(asyncio.shield(app.delivery.caught_up), START_UP)
        assert await status_of(app, code) is UnitStatus.WITHDRAWN
        assert any("测试单位 41" in text for text in await queued_to(app, MEMBER))
        assert any("测试单位 41" in text for text in await queued_to(app, ADMIN_ID))
    finally:
        await app.delivery.stop()

    contact = ChatClient(app, MEMBER)
    await contact.send("/withdraw")  # no notice to take back: not a contact any more
    assert contact.text == "The command /withdraw is not available to you."
    await contact.send("/join")
    await contact.press("I agree")
    await contact.send("测试单位 41")
    await contact.send(code)
    assert "article 16(6)" in contact.text


async def test_a_failed_daily_job_is_tried_again_within_minutes(
    make_app: MakeApp, clock: FakeClock, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("made to fail by SQLite's write lock; the retry itself is the same")
    app = await make_app(sqlite_busy_timeout_ms=0)
    code = await give_notice(app, clock, 42)
    clock.advance(days=30)
    rt = ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, {})

    path = database_url.removeprefix("sqlite+aiosqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    await run_job(rt, "membership")
    other.execute("ROLLBACK")
    other.close()
    assert await status_of(app, code) is UnitStatus.WITHDRAWING

    await sweep_reminders(rt)
    assert await status_of(app, code) is UnitStatus.WITHDRAWING  # not at once: a back-off
    clock.advance(minutes=1)
    await sweep_reminders(rt)
    assert await status_of(app, code) is UnitStatus.WITHDRAWN
    assert rt.retries.waiting == {}


# -- an update the process died with ---------------------------------------------------------


def receiver(app: App, clock: FakeClock, handled: list[dict]) -> Receiver:
    async def process(payload: dict) -> None:
        async with app.sessions() as session:  # counted before the handling begins
            row = await session.get(InboundUpdate, f"tg:{payload['update_id']}")
            assert row is not None
            handled.append({"attempts": row.attempts, **payload})

    dispatcher = app.dispatcher
    return Receiver(
        app.sessions, clock, process, 600, 1, dispatcher.writers, dispatcher.flood,
        dispatcher.set_aside, app.catalogs,
    )  # fmt: skip


def poll_copy(update_id: int, text: str) -> dict:
    sender = {"id": MEMBER, "is_bot": False, "first_name": "M", "language_code": "en"}
    chat = {"id": MEMBER, "type": "private"}
    return {"update_id": update_id, "message": {"from": sender, "chat": chat, "text": text}}


async def test_an_update_the_process_died_with_twice_is_set_aside_not_replayed(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    once, twice = poll_copy(1, "/help"), poll_copy(2, "/import")
    async with app.sessions() as session, session.begin():  # as polled: handed over once
        await inbox.record(session, [("tg:1", MEMBER, once), ("tg:2", MEMBER, twice)], clock.now())
        await inbox.handing_over(session, "tg:2")  # and replayed once: the process died again

    handled: list[dict] = []
    replaying = receiver(app, clock, handled)
    assert await replaying.replay() == 1
    await replaying.lanes.drain()
    assert handled == [{"attempts": 2, **once}]  # counted before its handling began

    assert await queued_to(app, MEMBER) == [SET_ASIDE_FOR_SENDER]
    (staff,) = await queued_to(app, ADMIN_ID)
    assert "tg:2" in staff and "command /import" in staff
    async with app.sessions() as session:
        assert await session.get(InboundUpdate, "tg:2") is None  # its content is not kept
    # tg:1 was handed over twice and never handled (this test's process handles nothing)
    assert await receiver(app, clock, handled).replay() == 0
    assert await queued_to(app, MEMBER) == [SET_ASIDE_FOR_SENDER] * 2  # one for each
    assert await receiver(app, clock, handled).replay() == 0
    assert len(await queued_to(app, MEMBER)) == 2  # told once
