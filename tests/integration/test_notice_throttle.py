"""Notices to the secretariat are throttled (issue 17): of one person, at most one dead-letter
notice and one "ask the secretariat" (ivask) notice an hour, whatever the number of processes
or restarts; the daily digest says how many more there were."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.context import Context
from bot.dispatch import FAILED
from bot.reminders.jobs import run_job
from bot.reminders.sweep import ReminderRuntime
from bot.routing import Command
from storage.models import OutboxMessage
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock

GUEST, OTHER = 4242, 4343


async def poison(_ctx: Context) -> None:
    raise RuntimeError("a handler bug that fails every time")


async def poisoned(make_app: MakeApp) -> App:
    app = await make_app()
    app.dispatcher.routes.commands["poison"] = Command("poison", poison, "a test's poison")
    return app


async def told(app: App, purpose: str) -> list[str]:
    """The texts queued for the secretariat account with this purpose, oldest first."""
    async with app.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == purpose, OutboxMessage.chat_id == ADMIN_ID)
            .order_by(OutboxMessage.id)
        )
        return [m.text for m in rows]


async def digest(app: App, clock: FakeClock) -> list[str]:
    rt = ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, {})
    await run_job(rt, "digest")
    return await told(app, "job:digest")


async def test_dead_letters_of_one_person_are_told_once_an_hour_then_digested(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await poisoned(make_app)
    await ChatClient(app, ADMIN_ID).send("/help")  # reads English
    guest = ChatClient(app, GUEST)
    await guest.send("/poison")
    assert guest.text == FAILED and len(await told(app, "dead_letter")) == 1
    clock.advance(minutes=20)
    await guest.send("/poison")
    restarted = await poisoned(make_app)  # the throttle is in the database
    clock.advance(minutes=20)
    await ChatClient(restarted, GUEST).send("/poison")
    assert len(await told(app, "dead_letter")) == 1  # two more kept, not told
    await ChatClient(restarted, OTHER).send("/poison")  # someone else: told at once
    assert len(await told(app, "dead_letter")) == 2
    clock.advance(minutes=21)  # an hour after the first
    await guest.send("/poison")
    assert len(await told(app, "dead_letter")) == 3

    clock.advance(days=1)
    assert await digest(restarted, clock) == [
        "Notices held back since the last digest (the secretariat hears of one person at most "
        "once an hour):\nUpdates that failed (dead letters): 2 more, about 1 people"
    ]
    clock.advance(days=1)
    assert len(await digest(restarted, clock)) == 1  # nothing held since: no new digest


async def test_asking_the_secretariat_again_and_again_is_told_once_an_hour(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await ChatClient(app, ADMIN_ID).send("/help")  # reads English
    stranger = ChatClient(app, GUEST)
    for _ in range(3):
        await stranger.press_data("ivask:0")
        assert stranger.text == "Your request was sent to the secretariat."
        clock.advance(minutes=5)
    assert len(await told(app, "message")) == 1
    clock.advance(days=1)
    assert await digest(app, clock) == [
        "Notices held back since the last digest (the secretariat hears of one person at most "
        "once an hour):\nRequests for a new invitation link: 2 more, about 1 people"
    ]
