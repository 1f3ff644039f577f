"""The outbox on SQLite and PostgreSQL: pace, 429, 403, retries, priority, progress, stop."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import api, notes
from bot.delivery.testing import RecordingTransport, make_test_worker
from bot.delivery.transport import Blocked, Permanent, RetryAfter, Transient
from bot.delivery.worker import OutboxWorker
from bot.i18n import Catalogs
from bot.protocol import Button, OutgoingFile, Reply
from bot.settings import Settings
from storage import outbox, people
from storage.db import create_engine, session_factory
from storage.models import DeliveryStatus, OutboxMessage, Role
from tests.support.clock import FakeClock

Sessions = async_sessionmaker[AsyncSession]
SECRETARY = 555


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs("zh_CN", "Asia/Shanghai")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"database_url": database_url, "send_rate": 10, **overrides}
    return Settings(_env_file=None, **values)


@pytest.fixture
def transport(clock: FakeClock) -> RecordingTransport:
    return RecordingTransport(clock)


@pytest.fixture
def worker_for(
    sessions: Sessions,
    transport: RecordingTransport,
    clock: FakeClock,
    catalogs: Catalogs,
    database_url: str,
) -> Any:
    def make(**overrides: Any) -> OutboxWorker:
        settings = settings_for(database_url, **overrides)
        return make_test_worker(sessions, transport, settings, clock, catalogs)

    return make


async def queue(sessions: Sessions, now: datetime, *chats: int, text: str = "hello") -> None:
    async with sessions() as session, session.begin():
        for chat in chats:
            await api.notify(session, Reply(text, chat_id=chat), purpose="test", now=now)


async def broadcast(sessions: Sessions, now: datetime, chats: range, starter: int) -> int:
    async with sessions() as session, session.begin():
        replies = [Reply(f"notice to {chat}", chat_id=chat) for chat in chats]
        batch = await api.broadcast(
            session,
            replies,
            title="Notice",
            purpose="notice:1",
            starter_chat_id=starter,
            locale="en",
            now=now,
        )
        return batch.id


async def rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(
            (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        )


async def add_secretary(sessions: Sessions, now: datetime) -> None:
    async with sessions() as session, session.begin():
        person = await people.ensure(session, SECRETARY, SECRETARY, now, "Sec", "en")
        await people.grant(session, person.id, Role.SECRETARIAT, None, now)


def most_in_one_second(times: list[datetime]) -> int:
    """The largest number of sends in any half-open one-second window."""
    seconds = sorted(t.timestamp() for t in times)
    return max(
        (sum(1 for t in seconds[i:] if t < start + 1) for i, start in enumerate(seconds)),
        default=0,
    )


# -- the outbox is transactional ---------------------------------------------------------------


async def test_a_message_goes_only_if_its_transaction_commits(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    async with sessions() as session:
        async with session.begin():
            await api.notify(
                session, Reply("rolled back", chat_id=1), purpose="t", now=clock.now()
            )
            await session.rollback()
    await queue(sessions, clock.now(), 2)
    await worker_for().run_until_idle()
    assert [(s.chat_id, s.reply.text) for s in transport.sent] == [(2, "hello")]
    [row] = await rows(sessions)
    assert (row.status, row.message_id, row.claimed_by) == (DeliveryStatus.SENT, 1, None)


async def test_content_survives_the_outbox(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    reply = Reply(
        "x" * 2000,  # too long for a caption: the text goes first, then the file
        buttons=((Button("OK", data="ok:1"), Button("Site", url="https://example.org")),),
        file=OutgoingFile("a.pdf", b"%PDF"),
        protect=True,
        chat_id=7,
    )
    async with sessions() as session, session.begin():
        await api.notify(session, reply, purpose="doc", now=clock.now(), dedup_key="doc:1")
        assert not await api.notify(
            session, reply, purpose="doc", now=clock.now(), dedup_key="doc:1"
        )
    await worker_for().run_until_idle()
    text, document = (s.reply for s in transport.to(7))
    assert (text.text, text.file, text.buttons, text.protect) == ("x" * 2000, None, (), True)
    assert document.file == OutgoingFile("a.pdf", b"%PDF") and document.protect
    assert document.buttons == reply.buttons and document.text == ""


# -- pace ----------------------------------------------------------------------------------------


async def test_pace_keeps_the_overall_rate_and_one_per_second_per_chat(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    start = clock.now()
    for _ in range(3):  # three messages to each of 20 chats, queued in one burst
        await queue(sessions, start, *range(100, 120), 7, 7)
    await worker_for(send_rate=10, delivery_max_in_flight=8).run_until_idle()

    assert len(transport.sent) == 66  # a burst is smoothed, not refused
    assert most_in_one_second([s.at for s in transport.sent]) == 10
    for chat in (7, *range(100, 120)):
        times = [s.at for s in transport.to(chat)]
        assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(times))
    took = (transport.sent[-1].at - start).total_seconds()
    assert 6 <= took <= 7.75  # 66 sends at 10/s (less the headroom), without idling


async def test_retry_after_holds_that_chat_for_the_window(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    transport.fail(5, RetryAfter(7, chat_id=5))
    await queue(sessions, clock.now(), 5, 6, 5, 6)
    await worker_for(send_rate=100).run_until_idle()

    [(_, refused_at), *later] = [a for a in transport.attempts if a[0] == 5]
    assert len(later) == 2
    assert all(at >= refused_at + timedelta(seconds=7) for _, at in later)
    assert len(transport.to(6)) == 2
    assert transport.to(6)[-1].at < refused_at + timedelta(seconds=7)  # others go on
    statuses = Counter(r.status for r in await rows(sessions))
    assert statuses == {DeliveryStatus.SENT: 4}
    assert {r.attempts for r in await rows(sessions)} == {0}  # a 429 is not a failure


async def test_a_429_hold_outlives_the_worker_that_met_it(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    transport.fail(5, RetryAfter(30, chat_id=5))
    await queue(sessions, clock.now(), 5, 5)
    first = worker_for(send_rate=100, delivery_max_in_flight=1)
    await first.start()
    while not transport.attempts:
        await first.step()
    first.stop()  # before it claims the second message: that one waits in the outbox
    await first.run()
    [(_, refused_at)] = transport.attempts
    clock.advance(seconds=1)
    await worker_for(send_rate=100).run_until_idle()  # another instance, a fresh limiter

    [(_, first_at), (_, second_at)] = [(s.chat_id, s.at) for s in transport.to(5)]
    assert first_at >= refused_at + timedelta(seconds=30)
    assert second_at >= first_at + timedelta(seconds=1)


async def test_a_flood_of_429s_holds_every_chat(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    for chat in range(10, 14):
        transport.fail(chat, RetryAfter(5, chat_id=chat))
    await queue(sessions, clock.now(), *range(10, 30))
    await worker_for(send_rate=100, delivery_max_in_flight=4).run_until_idle()

    floods = [at for chat, at in transport.attempts if 10 <= chat < 14][:3]
    held_from = floods[-1]  # the third 429 in a second is a flood, not one chat's limit
    assert not [s for s in transport.sent if held_from <= s.at < held_from + timedelta(seconds=5)]
    assert len({s.chat_id for s in transport.sent}) == 20


# -- failures ------------------------------------------------------------------------------------


async def test_blocked_chat_is_marked_stopped_and_reported(
    sessions: Sessions,
    clock: FakeClock,
    transport: RecordingTransport,
    worker_for: Any,
    catalogs: Catalogs,
) -> None:
    await add_secretary(sessions, clock.now())
    async with sessions() as session, session.begin():
        await people.ensure(session, 31, 31, clock.now(), "Wang Wei", "en")
    transport.fail(31, Blocked("Forbidden: bot was blocked by the user"))
    await queue(sessions, clock.now(), 31, 31, 32)
    worker = worker_for(send_rate=100)
    await worker.run_until_idle()
    await queue(sessions, clock.now(), 31)  # a later message to them is not even tried
    await worker.run_until_idle()

    assert [chat for chat, _ in transport.attempts].count(31) == 1
    statuses = [r.status for r in await rows(sessions) if r.chat_id == 31]
    assert statuses == [DeliveryStatus.BLOCKED] * 3
    async with sessions() as session:
        assert await outbox.is_unreachable(session, 31)
    assert transport.to(SECRETARY) == []  # routine news, gathered for a minute (issue 20)
    clock.advance(minutes=1)
    async with sessions() as session, session.begin():
        await notes.queue_due(session, catalogs, clock.now())
    await worker.run_until_idle()
    [note] = transport.to(SECRETARY)
    assert "Wang Wei has blocked the bot" in note.reply.text


async def test_errors_are_retried_with_backoff_then_failed_with_the_reason(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    transport.fail(8, *[Transient("Bad Gateway")] * 3)
    transport.fail(9, *[Transient("Bad Gateway")] * 2)
    transport.fail(10, Permanent("Bad Request: chat not found"))
    await queue(sessions, clock.now(), 8, 9, 10)
    await worker_for(
        send_rate=100, delivery_max_attempts=3, delivery_backoff=2, delivery_poll_interval=0.5
    ).run_until_idle()

    by_chat = {r.chat_id: r for r in await rows(sessions)}
    assert (by_chat[8].status, by_chat[8].attempts) == (DeliveryStatus.FAILED, 3)
    assert by_chat[8].last_error == "gave up after 3 attempts: Bad Gateway"
    assert (by_chat[9].status, by_chat[9].attempts) == (DeliveryStatus.SENT, 2)
    assert (by_chat[10].status, by_chat[10].attempts) == (DeliveryStatus.FAILED, 1)
    tries = [at for chat, at in transport.attempts if chat == 8]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 2 and gaps[1] >= 4  # doubling back-off


# -- interactive first ---------------------------------------------------------------------------


async def test_a_personal_message_overtakes_a_broadcast(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    await broadcast(sessions, clock.now(), range(1000, 1100), starter=SECRETARY)
    clock.advance(seconds=1)
    await queue(sessions, clock.now(), 42)  # queued after the whole broadcast
    await worker_for(send_rate=30, delivery_max_in_flight=10).run_until_idle()

    order = [s.chat_id for s in transport.messages() if s.chat_id != SECRETARY]
    assert order.index(42) <= 10


# -- progress ------------------------------------------------------------------------------------


async def test_broadcast_progress_is_edited_in_place_then_reported(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    transport.fail(1003, Blocked("Forbidden"))
    transport.fail(1004, Permanent("Bad Request"))
    batch_id = await broadcast(sessions, clock.now(), range(1000, 1100), starter=SECRETARY)
    await worker_for(send_rate=10, progress_interval=3, delivery_heartbeat=1).run_until_idle()

    to_starter = transport.to(SECRETARY)
    progress, *edits = [s for s in to_starter if s.message_id == to_starter[0].message_id]
    assert progress.reply.text.startswith("Sending “Notice”: 0 sent")
    assert 3 <= len(edits) <= 1 + 10 / 3 + 1  # ~10 s of sending, at most one edit per 3 s
    assert all(e.edited for e in edits)
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(edits)]
    assert min(gaps) >= 3
    final = "“Notice” is delivered: 98 sent, 1 failed, 1 blocked, of 100."
    [report] = [e for e in edits if e.reply.text.startswith(final)]
    assert report is edits[-1] and "1003" in report.reply.text
    assert "Why they failed: Bad Request (1)." in report.reply.text
    # Issue 20: the final report came twice, as the edit and as a new message. Once, now.
    assert [s for s in to_starter if s.message_id != progress.message_id] == []
    async with sessions() as session:
        counts = await outbox.counts(session, batch_id)
    assert (counts.sent, counts.failed, counts.blocked, counts.open, counts.total) == (
        98,
        1,
        1,
        0,
        100,
    )


async def test_the_final_report_is_a_new_message_when_the_progress_cannot_be_edited(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    await broadcast(sessions, clock.now(), range(1000, 1040), starter=SECRETARY)
    transport.uneditable.add(SECRETARY)  # the secretary deletes the progress message at once
    await worker_for(send_rate=10, progress_interval=1, delivery_heartbeat=1).run_until_idle()
    final = "“Notice” is delivered: 40 sent, 0 failed, 0 blocked, of 40."
    [progress, report] = transport.to(SECRETARY)
    assert progress.reply.text.startswith("Sending “Notice”")
    assert report.reply.text == final and not report.edited


# -- stopping ----------------------------------------------------------------------------------


async def test_a_graceful_stop_duplicates_nothing(
    sessions: Sessions, clock: FakeClock, transport: RecordingTransport, worker_for: Any
) -> None:
    await queue(sessions, clock.now(), *range(200, 260))
    first = worker_for(send_rate=20, delivery_max_in_flight=10)
    await first.start()
    for _ in range(25):
        await first.step()
    first.stop()
    await first.run()  # already stopped: drains and signs off
    assert 0 < len(transport.sent) < 60
    await worker_for(send_rate=20, delivery_max_in_flight=10).run_until_idle()

    assert sorted(s.chat_id for s in transport.sent) == list(range(200, 260))
    statuses = Counter(r.status for r in await rows(sessions))
    assert statuses == {DeliveryStatus.SENT: 60}
