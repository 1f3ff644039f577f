"""Reminders that came due while the bot was down (issue 20, "As people read it"): after the
restart a seat holder gets at most one reminder per meeting, the latest still useful, none for
a meeting already begun; the rest are dropped, marked, and counted in one note to the
secretariat."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from bot.app import App
from bot.delivery.testing import RecordingTransport, deliver_queued
from bot.reminders.kinds import reminder_kinds
from bot.reminders.sweep import ReminderRuntime, fire_due
from bot.services import meetings, seats
from storage import migrate, people
from storage.db import create_engine
from storage.meetings_models import BallotKind, MotionKind
from storage.models import Reminder, ReminderStatus, Role, UnitTier
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.clock import FakeClock
from tests.support.factories import make_unit

ZONE = ZoneInfo("Asia/Shanghai")
HOLDER_EN, HOLDER_ZH, SECRETARY_EN = 81_001, 81_002, 81_003
START_UP = 60  # seconds of real time the start-up runs may take on a loaded machine


async def seat_holders(app: App, clock: FakeClock) -> None:
    """A director unit whose two seat holders read English and Chinese; a second secretary
    who reads English (the first, ADMIN_ID, reads Chinese)."""
    now = clock.now()
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, now, 1, tier=UnitTier.DIRECTOR)
        for telegram_id, language in ((HOLDER_EN, "en"), (HOLDER_ZH, "zh-hans")):
            _seat, person = await seats.add_seat(
                session, unit.id, telegram_id, f"Holder {telegram_id}", None, now, ZONE
            )
            person.language_code = language
        secretary = await people.ensure(session, SECRETARY_EN, SECRETARY_EN, now, "", "en")
        await people.grant(session, secretary.id, Role.SECRETARIAT, None, now)
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        admin.language_code = "zh-hans"


async def schedule(app: App, clock: FakeClock, starts_at: datetime, place: str) -> int:
    draft = meetings.MotionDraft("Budget", "Text", MotionKind.RESOLUTION, BallotKind.OPEN)
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        meeting = await meetings.schedule(
            session, starts_at, place, [draft], admin.id, clock.now(), ZONE
        )
        return meeting.id


async def restart(make_app: MakeApp, clock: FakeClock) -> tuple[App, list[tuple[int, str]]]:
    """Starts the bot again and lets its start-up runs finish; returns what it sent."""
    app = await make_app()
    transport = RecordingTransport(clock)
    await app.delivery.start(transport)
    try:
        assert app.delivery.caught_up is not None
        await asyncio.wait_for(asyncio.shield(app.delivery.caught_up), START_UP)
    finally:
        await app.delivery.stop()
    rest = await deliver_queued(app.sessions, app.settings, clock, app.catalogs)
    return app, [(s.chat_id, s.reply.text) for s in [*transport.sent, *rest.sent]]


async def rows(app: App) -> dict[str, tuple[ReminderStatus, str]]:
    async with app.sessions() as session:
        found = await session.scalars(select(Reminder).where(Reminder.kind == "meeting_reminder"))
        return {r.dedup_key: (r.status, r.note) for r in found}


def to(sent: list[tuple[int, str]], chat_id: int, *words: str) -> list[str]:
    return [text for chat, text in sent if chat == chat_id and all(w in text for w in words)]


async def test_after_a_restart_each_meeting_gets_its_latest_useful_reminder_only(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_holders(app, clock)
    day = clock.now() + timedelta(days=16)  # 10:00 in Shanghai, Friday 11 December 2026
    begun = await schedule(app, clock, day, "Room A")  # begins while the bot is down
    hour = await schedule(app, clock, day + timedelta(minutes=30), "Room B")
    later = await schedule(app, clock, day + timedelta(minutes=90), "Room C")
    await app.close()

    clock.moment = day + timedelta(minutes=15)  # down for 16 days: every 1-day reminder is due
    app, sent = await restart(make_app, clock)

    # One reminder per meeting still ahead: Room B's 1-hour one (its 1-day one is superseded),
    # Room C's 1-day one (its 1-hour mark is still ahead); none for Room A, which has begun.
    assert sorted(to(sent, HOLDER_EN, "Room")) == [
        "Reminder: the joint directors' meeting is on Fri, Dec 11, 2026, 10:30, Room B. "
        "Send /meetings for the agenda.",
        "Reminder: the joint directors' meeting is on Fri, Dec 11, 2026, 11:30, Room C. "
        "Send /meetings for the agenda.",
    ]
    assert sorted(to(sent, HOLDER_ZH, "Room")) == [
        "提醒：主任联席会将于2026年12月11日周五 10:30在Room B召开。发送 /meetings 查看议程。",
        "提醒：主任联席会将于2026年12月11日周五 11:30在Room C召开。发送 /meetings 查看议程。",
    ]
    assert await rows(app) == {
        f"meeting:{begun}:86400": (ReminderStatus.DROPPED, "too late"),
        f"meeting:{begun}:3600": (ReminderStatus.DROPPED, "too late"),
        f"meeting:{hour}:86400": (ReminderStatus.DROPPED, "superseded"),
        f"meeting:{hour}:3600": (ReminderStatus.DONE, ""),
        f"meeting:{later}:86400": (ReminderStatus.DONE, ""),
        f"meeting:{later}:3600": (ReminderStatus.PENDING, ""),
    }

    # The three dropped are counted in one note to each secretary, not one note per reminder.
    assert to(sent, SECRETARY_EN, "reminder") == [
        "3 reminders were not sent because they were too late to be useful by the time the "
        "bot could send them:\n"
        "reminder before a joint meeting (art. 20): 3\n"
        "Where several reminders of one thing had come due together, only the latest was sent."
    ]
    assert to(sent, ADMIN_ID, "提醒") == [
        "有3条提醒因机器人能够发送时已失去作用而未发送：\n"
        "主任联席会会前提醒（第二十条）：3\n"
        "同一事项有多条提醒同时到期时，只发送了其中最晚的一条。"
    ]

    # Room C's 1-hour reminder still goes at its time.
    clock.moment = day + timedelta(minutes=30)
    runtime = ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, reminder_kinds())
    await fire_due(runtime)
    rest = await deliver_queued(app.sessions, app.settings, clock, app.catalogs)
    to_holders = [s for s in rest.sent if s.chat_id in (HOLDER_EN, HOLDER_ZH)]
    assert sorted(s.chat_id for s in to_holders) == [HOLDER_EN, HOLDER_ZH]
    assert all("11:30" in s.reply.text and "Room C" in s.reply.text for s in to_holders)


async def test_the_upgrade_names_the_subject_of_reminders_already_pending(
    database_url: str, clock: FakeClock
) -> None:
    """The restart that brings this upgrade sends one reminder per meeting already."""
    engine = create_engine(database_url)
    insert = text(
        "INSERT INTO reminders (kind, role, due_at, payload, dedup_key, status, created_at, note)"
        " VALUES (:kind, 'leadership', :now, '{}', :key, :status, :now, '')"
    )
    old = {
        "meeting:7:86400": "meeting_reminder",
        "event:3:s9:v2:day": "event_reminder",
        "notice:5:remind:1": "notice_remind",
        "art27:2026-Q4": "art27_quarterly_meeting",
    }
    try:
        await migrate.downgrade(engine, "0009")
        async with engine.begin() as conn:
            for key, kind in old.items():
                await conn.execute(
                    insert, {"kind": kind, "key": key, "status": "pending", "now": clock.now()}
                )
        await migrate.upgrade(engine, "0010r")
        async with engine.connect() as conn:
            found = dict(
                (await conn.execute(text("SELECT dedup_key, subject FROM reminders"))).all()
            )
        assert found == {
            "meeting:7:86400": "meeting:7",
            "event:3:s9:v2:day": "event:3:s9:v2",
            "notice:5:remind:1": "notice:5:remind",
            "art27:2026-Q4": None,
        }
    finally:
        await migrate.upgrade(engine)
        await engine.dispose()
