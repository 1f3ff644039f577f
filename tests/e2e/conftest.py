"""End-to-end fixtures: the fake Bot API server, and each Telegram engine running against it."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import SystemClock
from bot.engines.aiogram_engine import AiogramEngine
from bot.engines.common import TelegramEngine
from bot.engines.ptb_engine import PtbEngine
from bot.protocol import Incoming, Outcome
from tests.conftest import MakeApp
from tests.support.fake_bot_api import Call, FakeBotApi, Params

TOKEN = "123:TEST"
ENGINES: dict[str, Callable[[App, str], TelegramEngine]] = {
    "aiogram": AiogramEngine,
    "ptb": PtbEngine,
}
START_TIMEOUT = 60  # generous: a loaded 2-core machine may take long; ready returns at once
WAIT = 30  # seconds at most for something expected; a passing wait returns at once

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as server:
        yield server


@pytest.fixture(params=list(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


class Engines:
    """Starts engines of one kind on the fake server, and stops them as SIGTERM would."""

    def __init__(self, make_app: MakeApp, api: FakeBotApi, engine_name: str) -> None:
        self.make_app, self.api, self.engine_name = make_app, api, engine_name
        self.running: dict[TelegramEngine, asyncio.Task[None]] = {}

    async def start(self, **settings: Any) -> TelegramEngine:
        """Builds the app and runs the engine: polling, or webhook when settings say so."""
        app = await self.make_app(
            bot_token=TOKEN,
            telegram_api_url=self.api.url,
            polling_timeout=1,
            bot_engine=self.engine_name,
            **settings,
        )
        engine = ENGINES[self.engine_name](app, "127.0.0.1")
        task = asyncio.create_task(engine.run(handle_signals=False))
        self.running[engine] = task
        await _until_ready(engine, task)
        return engine

    async def stop(self, engine: TelegramEngine) -> None:
        """Stops the engine, waits for `run()` to return, and closes it."""
        engine.stop()
        try:
            await asyncio.wait_for(self.running.pop(engine), START_TIMEOUT)
        finally:
            await engine.close()

    async def stop_all(self) -> None:
        for engine in list(self.running):
            await self.stop(engine)


@pytest.fixture
def clock() -> SystemClock:
    """Engines run the outbox worker, which paces sends by the clock: time flows here."""
    return SystemClock()


@pytest.fixture
async def engines(make_app: MakeApp, api: FakeBotApi, engine_name: str) -> AsyncIterator[Engines]:
    launcher = Engines(make_app, api, engine_name)
    yield launcher
    await launcher.stop_all()


@pytest.fixture
async def engine(engines: Engines) -> TelegramEngine:
    """The engine under test, long-polling the fake server."""
    return await engines.start()


async def _until_ready(engine: TelegramEngine, task: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(engine.ready.wait())
    await asyncio.wait({ready, task}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if task.done():
        task.result()  # raises what stopped the engine
    assert engine.ready.is_set(), "the engine did not start receiving updates"


class DispatchLog:
    """Wraps an engine's dispatcher: each update the engine fed it, with the outcome."""

    def __init__(self, engine: TelegramEngine) -> None:
        self.handled: list[tuple[Incoming, Outcome]] = []
        self._changed = asyncio.Event()
        self._handle = engine.app.dispatcher.handle
        engine.app.dispatcher.handle = self._recording  # type: ignore[method-assign]

    async def wait_for(self, update_key: str, count: int = 1) -> list[Outcome]:
        """The outcomes of the update with `update_key`, once it was handled `count` times."""
        async with asyncio.timeout(WAIT):
            while len(found := self.outcomes(update_key)) < count:
                changed = self._changed
                await changed.wait()
        return found

    def outcomes(self, update_key: str) -> list[Outcome]:
        return [outcome for incoming, outcome in self.handled if incoming.update_key == update_key]

    async def _recording(self, incoming: Incoming) -> Outcome:
        outcome = await self._handle(incoming)
        self.handled.append((incoming, outcome))
        self._changed.set()
        self._changed = asyncio.Event()
        return outcome


def bot_env(**values: str) -> dict[str, str]:
    """An environment for `python -m bot` with only the settings given, none of ours."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **values}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TelegramUser:
    """A person in a private chat with the bot, acting through the fake server."""

    api: FakeBotApi
    user_id: int
    language_code: str = "en"

    def to_me(self, params: Params) -> bool:
        return params.get("chat_id") == self.user_id

    async def send(
        self,
        text: str,
        reply: str = "sendMessage",
        timeout: float = WAIT,  # noqa: ASYNC109 - passed on to the fake server's deadline
    ) -> Call:
        """Sends a message; returns the bot's next `reply` call to this chat."""
        before = len(self.api.calls_of(reply, self.to_me))
        self.api.user_message(self.user_id, text, self.language_code)
        calls = await self.api.wait_for(reply, self.to_me, count=before + 1, timeout=timeout)
        return calls[before]

    async def send_document(self, name: str, content: bytes, mime: str) -> Call:
        """Sends a file; returns the bot's next message to this chat."""
        before = len(self.api.calls_of("sendMessage", self.to_me))
        self.api.user_document(self.user_id, name, content, mime, self.language_code)
        return (await self.api.wait_for("sendMessage", self.to_me, count=before + 1))[before]

    async def press(self, message: Call, label: str) -> Call:
        """Presses the button labelled `label` under a message the bot sent."""
        return await self.press_data(message.result["message_id"], button_data(message, label))

    async def press_data(self, message_id: int, data: str) -> Call:
        """Presses a button with any data; returns the bot's answer to the press."""
        update_id = self.api.user_press(self.user_id, message_id, data, self.language_code)
        query_id = self.api.updates[update_id]["callback_query"]["id"]
        answered = await self.api.wait_for(
            "answerCallbackQuery", lambda p: p["callback_query_id"] == query_id
        )
        return answered[0]


def button_data(message: Call, label: str) -> str:
    """The callback data of the button labelled `label` in a sent message's keyboard."""
    rows = message.params.get("reply_markup", {}).get("inline_keyboard", [])
    buttons = {b["text"]: b.get("callback_data") for row in rows for b in row}
    text = message.params.get("text", "")[:200]
    assert label in buttons, f"no button {label!r} among {list(buttons)} under {text!r}"
    return buttons[label]


def chat_scope(chat_id: int) -> Callable[[Params], bool]:
    """Matches setMyCommands calls for one chat."""
    return lambda params: params.get("scope") == {"type": "chat", "chat_id": chat_id}


def command_names(call: Call) -> list[str]:
    return [command["command"] for command in call.params["commands"]]
