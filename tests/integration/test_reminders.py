"""Reminders on SQLite and PostgreSQL: fired once, late ones decided by kind, jobs, catch-up."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.delivery import api
from bot.delivery.console import ConsoleTransport
from bot.delivery.runtime import Delivery
from bot.delivery.testing import RecordingTransport, make_test_worker
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.reminders import obligations
from bot.reminders.kinds import Firing, ReminderKind, reminder_kinds
from bot.reminders.policy import LatePolicy
from bot.reminders.scheduler import (
    JOB_DEFAULTS,
    SWEEP_JOB,
    build_scheduler,
    check_obligation,
    stop_scheduler,
)
from bot.reminders.sweep import ReminderRuntime, fire_due
from bot.settings import Settings
from storage import people, reminders
from storage.db import create_engine, session_factory
from storage.models import OutboxMessage, Reminder, ReminderStatus, Role
from tests.support.clock import FakeClock

Sessions = async_sessionmaker[AsyncSession]
CATALOGS = Catalogs("zh_CN", "Asia/Shanghai")


async def render_note(firing: Firing) -> Reply | None:
    if firing.reminder.payload.get("obsolete"):
        return None
    if firing.reminder.payload.get("broken"):
        raise KeyError("missing")
    if firing.reminder.payload.get("writes_then_breaks"):
        await api.notify(firing.session, Reply("half", chat_id=5), purpose="x", now=firing.now)
        raise ValueError("broken after writing")
    return Reply(f"note {firing.reminder.payload['n']}" + (" (late)" if firing.late else ""))


NOTE = ReminderKind(
    "note", obligations.ART27_LABEL, render_note, LatePolicy(relevant_for=timedelta(hours=1))
)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def runtime(sessions: Sessions, clock: FakeClock, database_url: str) -> ReminderRuntime:
    settings = Settings(_env_file=None, database_url=database_url, reminder_batch_size=3)
    return ReminderRuntime(sessions, CATALOGS, clock, settings, {**reminder_kinds(), "note": NOTE})


async def person(sessions: Sessions, user_id: int, language: str, *roles: Role) -> int:
    async with sessions() as session, session.begin():
        found = await people.ensure(session, user_id, user_id, datetime.now(UTC), "", language)
        for role in roles:
            await people.grant(session, found.id, role, None, datetime.now(UTC))
        return found.id


async def note(sessions: Sessions, due: datetime, key: str, **payload: Any) -> None:
    async with sessions() as session, session.begin():
        await reminders.schedule(
            session, kind="note", due_at=due, dedup_key=key, now=due, chat_id=77,
            payload={"n": key, **payload},
        )  # fmt: skip


async def outbox_texts(sessions: Sessions) -> list[tuple[int, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.chat_id, row.text) for row in rows]


async def statuses(sessions: Sessions) -> dict[str, tuple[ReminderStatus, str]]:
    async with sessions() as session:
        found = await session.scalars(select(Reminder))
        return {r.dedup_key: (r.status, r.note) for r in found}


# -- firing ------------------------------------------------------------------------------------


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_on_start(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    await note(sessions, clock.now(), "a")
    await note(sessions, clock.now() + timedelta(days=1), "tomorrow")
    clock.advance(minutes=40)  # down from before it was due until now

    assert await fire_due(runtime) == 1
    assert await fire_due(runtime) == 0  # a second sweep, or a second instance, adds nothing
    assert await outbox_texts(sessions) == [(77, "note a (late)")]
    transport = RecordingTransport(clock)
    settings = runtime.settings
    await make_test_worker(sessions, transport, settings, clock, CATALOGS).run_until_idle()
    assert [s.reply.text for s in transport.sent] == ["note a (late)"]
    assert (await statuses(sessions))["a"] == (ReminderStatus.DONE, "")
    assert (await statuses(sessions))["tomorrow"][0] is ReminderStatus.PENDING


async def test_a_cancelled_reminder_is_not_sent(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    await note(sessions, clock.now() + timedelta(minutes=5), "event:1")
    async with sessions() as session, session.begin():
        assert await reminders.cancel(session, "event:1", clock.now())
    clock.advance(minutes=10)
    await fire_due(runtime)
    assert await outbox_texts(sessions) == []
    assert (await statuses(sessions))["event:1"][0] is ReminderStatus.CANCELLED


async def test_an_obsolete_reminder_is_dropped_without_a_word(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    await note(sessions, clock.now(), "gone", obsolete=True)
    await fire_due(runtime)
    assert await outbox_texts(sessions) == []
    assert (await statuses(sessions))["gone"] == (ReminderStatus.DROPPED, "obsolete")


async def test_too_late_is_dropped_and_the_secretariat_told(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    await person(sessions, 901, "en", Role.SECRETARIAT)
    await note(sessions, clock.now(), "stale")
    clock.advance(hours=2)  # the kind stays relevant for one hour
    await fire_due(runtime)

    assert (await statuses(sessions))["stale"] == (ReminderStatus.DROPPED, "too late")
    [(chat, text)] = await outbox_texts(sessions)
    assert chat == 901
    assert text.startswith("1 reminder was not sent because it was too late")
    assert "quarterly office meeting check (art. 27)" in text


async def test_one_broken_reminder_does_not_hold_up_the_others(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    for key in ("r1", "r2", "r3", "r4"):
        await note(sessions, clock.now(), key, broken=key == "r2")
    assert await fire_due(runtime) == 4  # in chunks of three
    assert [text for _, text in await outbox_texts(sessions)] == ["note r1", "note r3", "note r4"]
    assert (await statuses(sessions))["r2"] == (ReminderStatus.DROPPED, "failed: KeyError")


async def test_what_a_broken_reminder_wrote_is_undone_and_the_rest_of_its_chunk_goes(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    for key in ("w1", "w2", "w3"):
        await note(sessions, clock.now(), key, writes_then_breaks=key == "w2")
    assert await fire_due(runtime) == 3
    assert await outbox_texts(sessions) == [(77, "note w1"), (77, "note w3")]
    assert (await statuses(sessions))["w2"] == (ReminderStatus.DROPPED, "failed: ValueError")


async def test_a_chunk_of_reminders_costs_the_same_statements_however_many(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    """No statement per reminder: a sweep of 40 costs what a sweep of 4 does."""
    wide = replace(
        runtime, settings=runtime.settings.model_copy(update={"reminder_batch_size": 50})
    )
    engine = sessions.kw["bind"]
    statements: list[str] = []
    listen = event.listens_for(engine.sync_engine, "before_cursor_execute")
    counted = listen(lambda _c, _cur, statement, *_: statements.append(statement))
    costs = []
    for count in (4, 40):
        for n in range(count):
            await note(sessions, clock.now(), f"{count}:{n}")
        statements.clear()
        assert await fire_due(wide) == count
        costs.append(len(statements))
    event.remove(engine.sync_engine, "before_cursor_execute", counted)
    assert costs[0] == costs[1]
    assert len(await outbox_texts(sessions)) == 44


async def test_rescheduling_moves_a_pending_reminder_but_never_resends(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    await note(sessions, clock.now() + timedelta(hours=1), "event:2")
    await note(sessions, clock.now() + timedelta(hours=3), "event:2")  # the event moved
    clock.advance(hours=2)
    assert await fire_due(runtime) == 0
    clock.advance(hours=1)
    assert await fire_due(runtime) == 1
    await note(sessions, clock.now(), "event:2")  # moved again after it was sent
    clock.advance(minutes=1)
    assert await fire_due(runtime) == 0
    assert len(await outbox_texts(sessions)) == 1


async def test_a_role_reminder_reaches_each_holder_in_their_language(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    await person(sessions, 911, "en", Role.SECRETARIAT)
    await person(sessions, 912, "zh-hans", Role.SECRETARIAT)
    await person(sessions, 913, "en", Role.CONTACT)
    clock.moment = datetime(2027, 3, 10, 3, tzinfo=UTC)
    await check_obligation(runtime, "art27-quarterly-meeting")
    await fire_due(runtime)

    texts = dict(await outbox_texts(sessions))
    assert set(texts) == {911, 912}
    assert texts[911].startswith("Article 27:") and "Wed, Mar 31, 2027" in texts[911]
    assert texts[912].startswith("第二十七条") and "2027年3月31日" in texts[912]


# -- the recurring duties ------------------------------------------------------------------------


async def test_an_obligation_is_caught_up_once_per_period(
    sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    clock.moment = datetime(2027, 1, 20, 1, tzinfo=UTC)  # after 15 January: art. 33 is due
    for _ in range(2):  # start-up, then the cron run: one reminder
        await check_obligation(runtime, "art33-fund-report")
        await check_obligation(runtime, "art27-quarterly-meeting")  # not in Q1's last month
    clock.moment = datetime(2027, 4, 2, 1, tzinfo=UTC)  # too late for last year's report
    await check_obligation(runtime, "art33-fund-report")

    found = await statuses(sessions)
    assert list(found) == ["art33:2026"]
    async with sessions() as session:
        reminder = await reminders.by_key(session, "art33:2026")
    assert reminder is not None and reminder.role is Role.SECRETARIAT
    assert reminder.due_at == datetime(2027, 1, 15, 1, tzinfo=UTC)  # 09:00 in Shanghai


async def test_obligation_runs_once_while_another_instance_holds_its_lock(
    database_url: str, sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's; SQLite runs one process")
    clock.moment = datetime(2027, 6, 5, 1, tzinfo=UTC)
    async with sessions() as other, other.begin():
        assert await reminders.try_lock(other, "obligation:art27-quarterly-meeting")
        await check_obligation(runtime, "art27-quarterly-meeting")  # skipped: held elsewhere
        assert await statuses(sessions) == {}
    await check_obligation(runtime, "art27-quarterly-meeting")
    assert list(await statuses(sessions)) == ["art27:2027-Q2"]


async def test_two_instances_sweeping_at_once_fire_each_reminder_once(
    database_url: str, sessions: Sessions, clock: FakeClock, runtime: ReminderRuntime
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL; SQLite runs one process")
    for number in range(40):
        await note(sessions, clock.now(), f"n{number}")
    other_engine = create_engine(database_url)
    other = ReminderRuntime(
        session_factory(other_engine), CATALOGS, clock, runtime.settings, runtime.kinds
    )
    fired = await asyncio.gather(fire_due(runtime), fire_due(other))
    await other_engine.dispose()

    assert sum(fired) == 40
    texts = [text for _, text in await outbox_texts(sessions)]
    assert sorted(texts) == sorted(f"note n{number}" for number in range(40))


# -- the scheduler and the running bot --------------------------------------------------------


async def test_scheduler_has_every_job_with_a_deliberate_misfire_policy(
    runtime: ReminderRuntime,
) -> None:
    scheduler = build_scheduler(runtime)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {
            SWEEP_JOB,
            "obligation:art27-quarterly-meeting",
            "obligation:art33-fund-report",
            "job:membership",
            "job:documents",
            "job:terms",
            "job:housekeeping",
            "job:digest",
            "job:secretariat-notes",
        }
        for job in jobs.values():
            assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (None, True, 1)
        assert str(jobs["obligation:art33-fund-report"].trigger).startswith(
            "cron[month='1', day='15', hour='9'"
        )
        assert JOB_DEFAULTS["misfire_grace_time"] is None
    finally:
        scheduler.shutdown(wait=False)


async def test_stopping_lets_a_running_job_finish(runtime: ReminderRuntime) -> None:
    """APScheduler's asyncio executor cancels running jobs on shutdown; we wait for them."""
    started, finished = asyncio.Event(), []

    async def slow_job() -> None:
        with runtime.job():
            started.set()
            await asyncio.sleep(0.05)
            finished.append(True)

    scheduler = build_scheduler(runtime)
    scheduler.add_job(slow_job, id="slow", next_run_time=datetime.now(UTC))
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    await stop_scheduler(scheduler, runtime, grace=5)
    assert finished == [True]


async def test_the_console_prints_what_the_outbox_sends(
    sessions: Sessions, database_url: str
) -> None:
    settings = Settings(_env_file=None, database_url=database_url, delivery_poll_interval=0.05)
    delivery = Delivery(sessions, CATALOGS, settings, SystemClock())
    screen = io.StringIO()
    await delivery.start(ConsoleTransport(screen))
    try:
        async with sessions() as session, session.begin():
            reply = Reply("Meeting moved to Friday", chat_id=4242, protect=True)
            await api.notify(session, reply, purpose="t", now=datetime.now(UTC))
        delivery.wake()
        for _ in range(200):
            if screen.getvalue():
                break
            await asyncio.sleep(0.01)
    finally:
        await delivery.stop()
    assert screen.getvalue() == "→ chat 4242: [protected] Meeting moved to Friday\n"
