"""Two workers on one PostgreSQL outbox: they share the work and never send a row twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from bot.delivery import api
from bot.delivery.testing import RecordingTransport, make_test_worker
from bot.delivery.worker import OutboxWorker
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.settings import Settings
from storage import outbox
from storage.db import create_engine, session_factory
from tests.support import databases
from tests.support.clock import FakeClock

CHATS = range(5000, 5400)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """An empty PostgreSQL database (this test needs two processes' worth of sharing)."""
    url = request.getfixturevalue("postgres_database")
    asyncio.run(databases.truncate_all(url))
    return url


class SlowTransport(RecordingTransport):
    """Yields to the event loop on every send, so the two workers interleave."""

    async def send(self, chat_id: int, reply: Reply) -> int:
        await asyncio.sleep(0)
        return await super().send(chat_id, reply)


async def test_two_workers_share_the_outbox_without_duplicates(pg_url: str) -> None:
    clock = FakeClock()
    settings = Settings(
        _env_file=None, database_url=pg_url, send_rate=10_000, delivery_max_in_flight=8
    )
    catalogs = Catalogs("zh_CN", "Asia/Shanghai")
    engines = [create_engine(pg_url) for _ in range(2)]
    sessions = [session_factory(engine) for engine in engines]
    async with sessions[0]() as session, session.begin():
        for chat in CHATS:
            await api.notify(session, Reply("hi", chat_id=chat), purpose="t", now=clock.now())
    transports = [SlowTransport(clock), SlowTransport(clock)]
    workers = [
        make_test_worker(s, t, settings, clock, catalogs, name=f"w{n}")
        for n, (s, t) in enumerate(zip(sessions, transports, strict=True))
    ]
    await asyncio.wait_for(asyncio.gather(*(w.run_until_idle() for w in workers)), 60)

    sent = Counter(s.chat_id for t in transports for s in t.sent)
    assert set(sent) == set(CHATS) and set(sent.values()) == {1}
    assert all(len(t.sent) > len(CHATS) / 10 for t in transports)  # both did a fair share
    async with sessions[0]() as session:
        counts = await outbox.counts(session)
    assert (counts.sent, counts.total) == (len(CHATS), len(CHATS))
    for engine in engines:
        await engine.dispose()


async def step_until(worker: OutboxWorker, done: Callable[[], bool]) -> None:
    for _ in range(20):
        await worker.step()
        if done():
            return
    raise AssertionError("not reached in 20 steps")


async def test_two_workers_each_send_at_half_the_rate_and_one_alone_at_all_of_it(
    pg_url: str,
) -> None:
    """Telegram's limit is the bot's: two processes sending at SEND_RATE each would double it."""
    clock = FakeClock()
    settings = Settings(_env_file=None, database_url=pg_url, send_rate=30)
    catalogs = Catalogs("zh_CN", "Asia/Shanghai")
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    first, second = (
        make_test_worker(sessions, RecordingTransport(clock), settings, clock, catalogs, name=n)
        for n in ("w0", "w1")
    )
    await first.start()
    assert first.limiter.rate == 30
    await second.start()
    assert second.limiter.rate == 15
    clock.advance(seconds=settings.delivery_heartbeat)
    await step_until(first, lambda: first.limiter.rate == 15)  # its heartbeat sees the other

    await first.run_until_idle()  # signs off
    clock.advance(seconds=settings.delivery_heartbeat)
    await step_until(second, lambda: second.limiter.rate == 30)
    await second.run_until_idle()
    await engine.dispose()
