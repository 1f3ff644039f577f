"""A poison update: one that takes the process down whenever it is handled (issue 17). It is
replayed from the inbox once, and after the second death set aside as a dead letter — its
sender told once, the secretariat told once — so the bot answers the others again."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.inbox_models import DeadLetter, InboundUpdate
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import ROOT, TelegramUser
from tests.e2e.test_crash_e2e import STARTED, BotProcess, processes  # noqa: F401 (a fixture)
from tests.support.fake_bot_api import FakeBotApi

GUEST = 7_400_001


class PoisonedBot(BotProcess):
    """The bot process with a `/poison` command that kills it (tests/support/poison_bot.py)."""

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.poison_bot", "run", cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip

    async def died(self) -> int:
        """Waits for the process to end by itself; its exit status."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), STARTED)


async def test_an_update_the_process_died_with_twice_is_set_aside(
    api: FakeBotApi,
    database_url: str,
    engine_name: str,
    processes: list[BotProcess],  # noqa: F811
    tmp_path: Path,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the inbox's replay is the same on PostgreSQL (tests/integration)")
    guest = TelegramUser(api, GUEST)

    def start() -> PoisonedBot:
        bot = PoisonedBot(api, database_url, engine_name, tmp_path / "bot.log")
        processes.append(bot)
        return bot

    first = start()
    await first.start()
    await guest.send("/help", timeout=STARTED)
    update_id = api.user_message(GUEST, "/poison")
    assert await first.died() == -signal.SIGKILL
    second = start()
    await second.start()  # replays it: dies again
    assert await second.died() == -signal.SIGKILL

    third = start()
    await third.start()
    key = f"tg:{update_id}"
    await api.wait_for("sendMessage", lambda p: key in p.get("text", ""), timeout=STARTED)
    # The outbox sends the two in either order: the sender's, too, before looking at it.
    await api.wait_for("sendMessage", lambda p: _told(p, GUEST), timeout=STARTED)
    answer = await guest.send("/help", timeout=STARTED)
    assert answer.params["text"].startswith("What you can do:")
    told = [text for text in api.texts(GUEST) if "set aside" in text]
    assert len(told) == 1, api.texts(GUEST)
    staff = [text for text in api.texts(ADMIN_ID) if key in text]
    assert len(staff) == 1 and "command /poison" in staff[0]
    await third.signal(signal.SIGTERM)
    assert await _kept(database_url, key) == (False, True)  # no content, one dead letter


def _told(params: dict, chat_id: int) -> bool:
    return params.get("chat_id") == chat_id and "set aside" in params.get("text", "")


async def _kept(database_url: str, key: str) -> tuple[bool, bool]:
    """(still in the inbox, kept as a dead letter) for an update key."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            inbox = await session.scalar(select(InboundUpdate.key).where(InboundUpdate.key == key))
            dead = await session.scalar(select(DeadLetter.id).where(DeadLetter.update_key == key))
            return inbox is not None, dead is not None
    finally:
        await engine.dispose()
