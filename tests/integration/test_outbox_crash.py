"""Crash and resume: nobody missed, duplicates only within the in-flight bound, counted.

Run as a script, this module is the worker process that the kill -9 test kills:
`python -m tests.integration.test_outbox_crash DATABASE_URL LOG_FILE`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.delivery import api
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.testing import RecordingTransport, make_test_worker
from bot.delivery.worker import OutboxWorker
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.settings import Settings
from storage import outbox
from storage.db import create_engine, session_factory
from tests.support.clock import FakeClock

Sessions = async_sessionmaker[AsyncSession]
CHATS = range(3000, 3300)
IN_FLIGHT = 10
ROOT = Path(__file__).resolve().parents[2]


def settings_for(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        send_rate=400,
        delivery_max_in_flight=IN_FLIGHT,
        delivery_worker_timeout=10,
    )


async def queue_all(sessions: Sessions, now: datetime) -> None:
    async with sessions() as session, session.begin():
        for chat in CHATS:
            await api.notify(session, Reply(f"to {chat}", chat_id=chat), purpose="t", now=now)


async def check_outcome(sessions: Sessions, delivered: Counter[int]) -> None:
    """Everyone got it; the duplicates are within the bound and all counted as unknown."""
    assert set(delivered) == set(CHATS)
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates <= IN_FLIGHT
    async with sessions() as session:
        counts = await outbox.counts(session)
    assert (counts.total, counts.open, counts.failed) == (len(CHATS), 0, 0)
    assert counts.unknown >= duplicates
    assert counts.unknown <= IN_FLIGHT


async def test_a_worker_abandoned_mid_send_is_resumed_by_the_next(
    database_url: str, clock: FakeClock
) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    settings, catalogs = settings_for(database_url), Catalogs("zh_CN", "Asia/Shanghai")
    await queue_all(sessions, clock.now())
    transport = RecordingTransport(clock)
    transport.hang_after(100)  # the 101st send reaches Telegram, then the process "dies"
    first = make_test_worker(sessions, transport, settings, clock, catalogs, name="first")
    running = asyncio.create_task(first.run())
    await asyncio.wait_for(transport.hanging.wait(), 10)
    await abandon(first, running)

    transport.hang_after(None)
    clock.advance(seconds=settings.delivery_worker_timeout + 1)  # its heartbeat goes stale
    second = make_test_worker(sessions, transport, settings, clock, catalogs, name="second")
    await asyncio.wait_for(second.run_until_idle(), 30)

    delivered = Counter(s.chat_id for s in transport.sent)
    assert sum(n - 1 for n in delivered.values()) >= 1  # the hung send did go twice
    await check_outcome(sessions, delivered)
    await engine.dispose()


async def abandon(worker: OutboxWorker, running: asyncio.Task[None]) -> None:
    """Stops the worker dead, as kill -9 would: no drain, nothing recorded."""
    for _ in range(20):
        await asyncio.sleep(0)
    tasks = [running, *worker._running]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task


async def test_kill_9_mid_send_then_restart(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    await queue_all(sessions, datetime.now(UTC))
    log = tmp_path / "sent.log"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.test_outbox_crash", database_url, str(log),
        cwd=ROOT,
    )  # fmt: skip
    try:
        await wait_for_lines(log, 60, child)
    finally:
        child.send_signal(signal.SIGKILL)  # kill -9, in the middle of its sends
        await child.wait()
    killed_after = len(await asyncio.to_thread(sent_chats, log))
    assert killed_after < len(CHATS), "the child finished before it was killed"

    settings = settings_for(database_url)
    later = FakeClock(datetime.now(UTC) + timedelta(seconds=settings.delivery_worker_timeout + 1))
    transport = RecordingTransport(later)
    catalogs = Catalogs("zh_CN", "Asia/Shanghai")
    worker = make_test_worker(sessions, transport, settings, later, catalogs)
    await asyncio.wait_for(worker.run_until_idle(), 30)

    delivered = Counter(await asyncio.to_thread(sent_chats, log))
    delivered.update(s.chat_id for s in transport.sent)
    await check_outcome(sessions, delivered)
    await engine.dispose()


async def wait_for_lines(log: Path, count: int, child: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 20
    while len(await asyncio.to_thread(sent_chats, log)) < count:
        assert child.returncode is None, "the worker process ended on its own"
        assert time.monotonic() < deadline, "the worker process sent nothing"
        await asyncio.sleep(0.02)


def sent_chats(log: Path) -> list[int]:
    return [int(chat) for chat in log.read_text().split()] if log.exists() else []


# -- the process that gets killed -------------------------------------------------------------


class FileTransport:
    """Appends each chat id to a file as it sends; a short pause plays the network."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", buffering=1)

    async def send(self, chat_id: int, reply: Reply) -> int:
        self.file.write(f"{chat_id}\n")  # in the kernel's hands: survives kill -9
        await asyncio.sleep(0.01)
        return chat_id

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        await asyncio.sleep(0.01)


async def _child(database_url: str, log: Path) -> None:
    settings = settings_for(database_url)
    sessions = session_factory(create_engine(database_url))
    limiter = RateLimiter(settings.send_rate, settings.per_chat_interval)
    catalogs = Catalogs("zh_CN", "Asia/Shanghai")
    worker = OutboxWorker(
        sessions, FileTransport(log), limiter, settings, SystemClock(), catalogs, name="child"
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(_child(sys.argv[1], Path(sys.argv[2])))
