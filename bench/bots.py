"""The bots that bench/engines.py measures, each run in a process of its own:

    python -m bench.bots ENGINE MODE DATABASE_URL API_URL

ENGINE is aiogram or ptb; MODE `echo` (the framework alone: one handler that echoes a
message, callback queries answered and echoed), `floor` (the echo, after the one transaction
that DESIGN.md asks of every update, made with our storage functions: the update id recorded,
the sender read with their roles and open form; DATABASE_URL is used by it and by ours only)
or `ours` (the bot, built by bot.app, its SQL statements counted per update type). The
process prints `ready` once it receives updates, and on SIGTERM stops as the bot does, then
prints one JSON line of what it counted. It imports nothing beyond what it runs, so that its
resident memory is the bot's (or the framework's). Set BENCH_PROFILE=FILE to write a cProfile
of the process there.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import signal
import sys
from collections import Counter, defaultdict
from typing import Any

TOKEN = "123:BENCH"
SEND_RATE = 100_000  # see run_ours
POLLING_TIMEOUT = 10
ALLOWED_UPDATES = ["message", "callback_query"]
ACTIONS = frozenset({"card", "in", "out"})  # button arguments that name what a press does


def kind_of(text: str | None = None, data: str | None = None) -> str:
    """The update type, from a message's text or a button's data (the same on both sides)."""
    if data is not None:
        code, *args = data.split(":")
        return f"{code}:{args[0]}" if args and args[0] in ACTIONS else code
    if text and text.startswith("/"):
        return text.split(" ", 1)[0].split("@", 1)[0]
    return "text"


class Statements:
    """Counts SQL statements, each for the update being dispatched when it ran (a context
    variable follows SQLAlchemy's greenlets), or as background work (inbox, outbox worker,
    reminders)."""

    def __init__(self) -> None:
        self.current: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
            "statements", default=None
        )
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        self.background = 0

    def count(self, *_: Any) -> None:
        box = self.current.get()
        if box is None:
            self.background += 1
        else:
            box[0] += 1

    def wrap(self, dispatcher: Any) -> None:
        handle = dispatcher.handle

        async def counted(incoming: Any) -> Any:
            box = [0]
            token = self.current.set(box)
            try:
                return await handle(incoming)
            finally:
                self.current.reset(token)
                data, text = incoming.button, incoming.text
                kind = (
                    kind_of(data=data)
                    if data
                    else kind_of(f"/{incoming.command}" if incoming.command else text)
                )
                self.by_kind[kind].append(box[0])

        dispatcher.handle = counted


async def run_ours(engine_name: str, url: str, api_url: str) -> None:
    from sqlalchemy import event

    from bot.app import build_app
    from bot.settings import Settings

    # Only the engine that runs is imported, as `python -m bot` does: aiogram alone weighs
    # more than 150 MB resident.
    if engine_name == "aiogram":
        from bot.engines.aiogram_engine import AiogramEngine as Engine
    else:
        from bot.engines.ptb_engine import PtbEngine as Engine  # type: ignore[assignment]

    settings = Settings(
        _env_file=None,
        database_url=url,
        bot_token=TOKEN,
        telegram_api_url=api_url,
        bot_engine=engine_name,
        polling_timeout=POLLING_TIMEOUT,
        # Each simulated user sends far faster than a person (the whole center's traffic
        # from `--concurrency` people): the per-person flood guard still runs, dropping none.
        flood_rate=1e6,
        flood_burst=10**6,
        # Replies are paced within SEND_RATE (30/s, Telegram's limit), which would cap ours at
        # 30 updates a second and measure Telegram, not the bot; the echo bot is not paced.
        send_rate=SEND_RATE,
    )
    app = await build_app(settings)
    statements = Statements()
    event.listen(app.engine.sync_engine, "before_cursor_execute", statements.count)
    statements.wrap(app.dispatcher)
    engine = Engine(app, "127.0.0.1")
    running = asyncio.create_task(engine.run(handle_signals=True))
    ready = asyncio.create_task(engine.ready.wait())
    await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        running.result()
    background_at_start = statements.background
    print("ready", flush=True)
    await running
    background = statements.background - background_at_start
    figures = {"statements": statements.by_kind, "background": background}
    print(json.dumps({**figures, "warnings": WARNINGS.seen}), flush=True)
    await engine.close()
    await app.close()


class Floor:
    """What every update of ours costs before any handler: one transaction, through the same
    engine settings, writer queue and storage functions as the bot's dispatch."""

    def __init__(self, url: str) -> None:
        from storage.db import create_engine, session_factory, writer_queue

        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)
        self.queue = writer_queue(self.engine)

    async def __call__(self, key: str, user_id: int, name: str, language: str | None) -> None:
        from datetime import UTC, datetime

        from storage import people, updates

        now = datetime.now(UTC)
        async with self.queue, self.sessions() as session, session.begin():
            if await updates.claim(session, key, now):
                await people.arrive(session, user_id, user_id, now, name, language)


async def run_echo_aiogram(api_url: str, floor: Floor | None = None) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.methods import AnswerCallbackQuery, GetUpdates, SendMessage
    from aiogram.methods.base import Response
    from aiogram.types import CallbackQuery, Message

    # The fix our engine makes for pydantic rebuilding aiogram's answer models after each
    # garbage collection (bot/engines/aiogram_transport.py), made here too: the baseline is
    # the framework at its best, not slowed by what ours avoids.
    kept = [Response[m.__returning__] for m in (AnswerCallbackQuery, GetUpdates, SendMessage)]
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    bot = Bot(TOKEN, session=session)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        if floor is not None and message.from_user is not None:
            sender = message.from_user
            key = f"{message.chat.id}:{message.message_id}"
            await floor(key, sender.id, sender.full_name, sender.language_code)
        await bot.send_message(message.chat.id, message.text or "…")

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        if floor is not None:
            sender = query.from_user
            await floor(f"q{query.id}", sender.id, sender.full_name, sender.language_code)
        await query.answer()
        assert query.message is not None
        await bot.send_message(query.message.chat.id, query.data or "…")

    @dp.startup()
    async def started() -> None:
        print("ready", flush=True)

    await dp.start_polling(
        bot, polling_timeout=POLLING_TIMEOUT, allowed_updates=ALLOWED_UPDATES, handle_signals=True
    )
    print(json.dumps({"warnings": WARNINGS.seen, "kept": len(kept)}), flush=True)


async def run_echo_ptb(api_url: str, floor: Floor | None = None) -> None:
    from telegram import Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    url = api_url.rstrip("/")
    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .job_queue(None)
        .build()
    )

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        sender = update.effective_user
        if floor is not None and sender is not None:
            key = f"{message.chat.id}:{message.message_id}"
            await floor(key, sender.id, sender.full_name, sender.language_code)
        await application.bot.send_message(message.chat.id, message.text or "…")

    async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        if floor is not None:
            sender = query.from_user
            await floor(f"q{query.id}", sender.id, sender.full_name, sender.language_code)
        await query.answer()
        await application.bot.send_message(query.message.chat.id, query.data or "…")

    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        timeout=POLLING_TIMEOUT, allowed_updates=ALLOWED_UPDATES
    )
    print("ready", flush=True)
    await stop.wait()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    print(json.dumps({"warnings": WARNINGS.seen}), flush=True)


class Warnings(logging.Handler):
    """Counts the warnings and errors logged, by logger and message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Received SIG"):  # aiogram: the stop we asked for
            return
        message = str(record.msg).split("%", 1)[0].strip(" :(")
        self.seen[f"{record.name}: {message}"] += 1


WARNINGS = Warnings()


def main(engine: str, mode: str, url: str, api_url: str) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger().addHandler(WARNINGS)
    floor = Floor(url) if mode == "floor" else None
    if mode == "ours":
        run = run_ours(engine, url, api_url)
    elif engine == "aiogram":
        run = run_echo_aiogram(api_url, floor)
    else:
        run = run_echo_ptb(api_url, floor)
    profile = os.environ.get("BENCH_PROFILE")
    if not profile:
        asyncio.run(run)
        return
    import cProfile

    with cProfile.Profile() as profiler:
        asyncio.run(run)
    profiler.dump_stats(profile)


if __name__ == "__main__":
    main(*sys.argv[1:5])
