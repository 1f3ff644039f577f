"""No update lost to a crash: the bot process killed (-9) while it handles a polled update.

Both libraries confirm an update to Telegram by the next getUpdates before handling it; ours
writes the batch down first and replays what was not handled (bot/engines/receiving.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_app
from bot.settings import Settings
from storage.db import create_engine, session_factory
from storage.inbox_models import InboundUpdate
from storage.meetings_models import Vote
from storage.models import ProcessedUpdate
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import ROOT, TOKEN, TelegramUser, bot_env
from tests.support.clock import FakeClock
from tests.support.factories import PDF
from tests.support.fake_bot_api import FakeBotApi
from tests.support.world import HOLDERS, build_world

STARTED = 30  # seconds for a bot process to start and answer


class BotProcess:
    """`python -m bot run` against the fake server, as a platform would run it."""

    def __init__(self, api: FakeBotApi, database_url: str, engine_name: str, log: Path) -> None:
        self.log = log.open("ab")  # read when a test fails
        self.env = bot_env(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.url,
            DATABASE_URL=database_url,
            ADMIN_IDS=str(ADMIN_ID),
            BOT_ENGINE=engine_name,
            POLLING_TIMEOUT="1",
        )
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip

    async def signal(self, signum: int) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            os.kill(self.process.pid, signum)
        await asyncio.wait_for(self.process.wait(), STARTED)
        self.log.close()


@pytest.fixture
async def processes(
    api: FakeBotApi, database_url: str, engine_name: str
) -> AsyncIterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        await process.signal(signal.SIGKILL)


async def test_an_update_in_hand_at_kill_9_is_handled_once_after_restart(
    api: FakeBotApi,
    database_url: str,
    engine_name: str,
    processes: list[BotProcess],
    tmp_path: Path,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the receiving path is the same on PostgreSQL; its kill -9 is the vote's")
    admin = TelegramUser(api, ADMIN_ID)
    first = BotProcess(api, database_url, engine_name, tmp_path / "bot.log")
    processes.append(first)
    await first.start()
    asked = await admin.send("/upload", timeout=STARTED)
    assert asked.params["text"]

    # The file's download hangs: the process is inside the update's transaction when killed.
    api.faults.hold_downloads = True
    before = len(api.calls_of("sendMessage", admin.to_me))
    update_id = api.user_document(ADMIN_ID, "minutes.pdf", PDF, "application/pdf")
    await asyncio.wait_for(api.download_waiting.wait(), STARTED)
    await first.signal(signal.SIGKILL)
    key = f"tg:{update_id}"
    assert await _state(database_url, key) == (True, False)  # written down, not handled

    api.release_downloads()
    second = BotProcess(api, database_url, engine_name, tmp_path / "bot.log")
    processes.append(second)
    await second.start()
    await api.wait_for("sendMessage", admin.to_me, count=before + 1, timeout=STARTED)
    # One chat's updates run in order: a duplicate answer would come before this one's.
    await admin.send("/cancel", timeout=STARTED)
    answers = api.calls_of("sendMessage", admin.to_me)[before:]
    assert len(answers) == 2, [a.params["text"] for a in answers]
    assert await _state(database_url, key) == (False, True)  # handled: its content dropped
    await second.signal(signal.SIGTERM)


async def _state(database_url: str, key: str) -> tuple[bool, bool]:
    """(written down in the inbox, handled) for an update key."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            written = await session.scalar(
                select(InboundUpdate.key).where(InboundUpdate.key == key)
            )
            handled = await session.get(ProcessedUpdate, key)
            return written is not None, handled is not None
    finally:
        await engine.dispose()


async def test_a_vote_in_its_transaction_at_kill_9_is_counted_once_after_restart(
    api: FakeBotApi,
    database_url: str,
    engine_name: str,
    processes: list[BotProcess],
    tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("holds the vote inside its transaction with a PostgreSQL table lock")
    settings = Settings(_env_file=None, database_url=database_url, admin_ids=(ADMIN_ID,))
    # The world's meeting is under way 16 days after it starts: now, for the bot process.
    clock = FakeClock(datetime.now(UTC) - timedelta(days=16, minutes=1))
    seeding = await build_app(settings, clock)
    world = await build_world(seeding, clock)
    await seeding.close()
    holder, motion = TelegramUser(api, HOLDERS[0]), world.motion_ids[0]
    first = BotProcess(api, database_url, engine_name, tmp_path / "bot.log")
    processes.append(first)
    await first.start()
    await holder.send("/help", timeout=STARTED)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as blocker:
            # Inserts into processed_updates wait: the vote's transaction is open when killed.
            await blocker.execute(text("LOCK TABLE processed_updates IN EXCLUSIVE MODE"))
            update_id = api.user_press(HOLDERS[0], 1, f"mv:{motion}:for")
            await _until(engine, WAITING_FOR_LOCK)
            await first.signal(signal.SIGKILL)
            await blocker.rollback()
    finally:
        await engine.dispose()
    assert await _state(database_url, f"tg:{update_id}") == (True, False)

    second = BotProcess(api, database_url, engine_name, tmp_path / "bot.log")
    processes.append(second)
    await second.start()
    query = api.updates[update_id]["callback_query"]["id"]
    await api.wait_for(
        "answerCallbackQuery", lambda p: p["callback_query_id"] == query, timeout=STARTED
    )
    await holder.send("/help", timeout=STARTED)  # after the replay, in the chat's order
    answers = api.calls_of("answerCallbackQuery", lambda p: p["callback_query_id"] == query)
    assert len(answers) == 1
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            votes = await conn.scalar(
                select(func.count()).select_from(Vote).where(Vote.motion_id == motion)
            )
    finally:
        await engine.dispose()
    assert votes == 1
    await second.signal(signal.SIGTERM)


WAITING_FOR_LOCK = (  # an update's claim of its key, waiting for the test's lock
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO processed_updates%'"
)


async def _until(engine: AsyncEngine, query: str) -> None:
    """Polls the database until `query` counts something (the bot is blocked on the lock)."""
    async with asyncio.timeout(STARTED):
        while True:
            async with engine.connect() as conn:
                if await conn.scalar(text(query)):
                    return
            await asyncio.sleep(0.05)
