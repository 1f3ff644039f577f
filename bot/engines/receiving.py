"""How Telegram updates come in, the same on both engines: nothing lost, one chat in order.

Both libraries' own polling confirms an update to Telegram (the next getUpdates' offset)
before it is handled, so a kill -9 loses the updates in hand. Here a batch is written to the
inbox first and only then confirmed; on start, updates written down but never handled (not in
processed_updates) are replayed — the dispatch's update key makes a replay of a handled one a
no-op. If the database refuses the batch, the offset stays: Telegram hands it over again.

A webhook update is handled before the 200 is returned (Telegram retries otherwise), and the
answer is 200 even when handling failed: the dispatch has set the update aside as a dead
letter, and a 5xx would only make Telegram hold back that chat's later updates.

Each chat's updates run one after another in arrival order (a form's answers must not
overtake each other); different chats run concurrently.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.throttle import FloodGuard
from storage import inbox

log = logging.getLogger(__name__)

Payload = dict[str, Any]
Process = Callable[[Payload], Awaitable[None]]
Fetch = Callable[[int | None], Awaitable[list[Payload]]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update_key(update_id: int) -> str:
    """The idempotency key of a Telegram update; the same on both engines."""
    return f"tg:{update_id}"


def chat_of(payload: Payload) -> int:
    """The chat an update belongs to (its lane); 0 for kinds we do not handle."""
    message = payload.get("message") or (payload.get("callback_query") or {}).get("message")
    if message and "chat" in message:
        return int(message["chat"]["id"])
    sender = (payload.get("callback_query") or {}).get("from") or {}
    return int(sender.get("id", 0))


def sender_of(payload: Payload) -> int:
    """Who sent an update (0 if nobody is named)."""
    body = payload.get("message") or payload.get("callback_query") or {}
    return int((body.get("from") or {}).get("id", 0))


class ChatLanes:
    """Runs each chat's updates in order, chats side by side; `drain` waits for all."""

    def __init__(self, process: Process) -> None:
        self._process = process
        self._tails: dict[int, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def submit(self, chat_id: int, payload: Payload) -> asyncio.Task[None]:
        task = asyncio.create_task(self._after(self._tails.get(chat_id), payload))
        self._tails[chat_id] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(chat_id, done))
        return task

    async def drain(self) -> None:
        while self._running:
            await asyncio.wait(set(self._running))

    async def _after(self, previous: asyncio.Task[None] | None, payload: Payload) -> None:
        if previous is not None:
            await asyncio.wait({previous})  # its failure is its own
        try:
            await self._process(payload)
        except Exception:
            # The dispatch answers and sets aside what fails inside it; this is what failed
            # around it (reading the update, the library), logged and not retried.
            log.exception("update %s could not be processed", payload.get("update_id"))

    def _finished(self, chat_id: int, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._tails.get(chat_id) is task:
            del self._tails[chat_id]


class Receiver:
    """Polling with the inbox, replay on start, and the webhook endpoint."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        process: Process,
        replay_seconds: int,
        retry_seconds: float,
        writers: AbstractAsyncContextManager[Any],
        flood: FloodGuard,
    ) -> None:
        self.sessions, self.clock, self.writers = sessions, clock, writers
        self.flood = flood
        self.lanes = ChatLanes(process)
        self.replay_window = timedelta(seconds=replay_seconds)
        self.retry_seconds = retry_seconds

    async def replay(self) -> int:
        """Hands over the updates written down but never handled; returns how many."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            await inbox.forget_before(session, now - max(self.replay_window, timedelta(days=1)))
            pending = await inbox.unhandled(session, now - self.replay_window)
        for row in pending:
            self.lanes.submit(row.chat_id, row.payload)
        if pending:
            log.info("replaying %d update(s) received but not handled before a stop", len(pending))
        return len(pending)

    async def poll(self, fetch: Fetch, stop: asyncio.Event, ready: asyncio.Event) -> None:
        """Fetches, writes down, confirms (by the next fetch's offset) and hands over, until
        `stop`; then waits for the updates in hand."""
        offset: int | None = None
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                fetching = asyncio.create_task(fetch(offset))
                ready.set()
                await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetching.done():
                    fetching.cancel()  # unconfirmed: Telegram hands them over next time
                    break
                batch = await self._recorded(fetching, stop)
                if batch:
                    offset = int(batch[-1]["update_id"]) + 1
                    now = self.clock.now().timestamp()
                    for payload in batch:
                        if not self.flood.silenced(sender_of(payload), now):
                            self.lanes.submit(chat_of(payload), payload)
        finally:
            stopping.cancel()
            await self.lanes.drain()

    async def _recorded(
        self, fetching: asyncio.Task[list[Payload]], stop: asyncio.Event
    ) -> list[Payload]:
        """The fetched batch once written down; empty (nothing confirmed) if that failed."""
        try:
            batch = fetching.result()
        except Exception as error:
            log.warning("getUpdates failed: %s", type(error).__name__)
            await _pause(stop, self.retry_seconds)
            return []
        if not batch:
            return []
        rows = [(update_key(int(p["update_id"])), chat_of(p), p) for p in batch]
        try:
            async with self.writers, self.sessions() as session, session.begin():
                await inbox.record(session, rows, self.clock.now())
        except (OperationalError, DBAPIError, OSError) as error:
            log.warning("updates not written down, not confirmed: %s", type(error).__name__)
            await _pause(stop, self.retry_seconds)
            return []
        return batch

    def webhook_app(self, secret: str | None) -> web.Application:
        """POST /webhook: the secret token checked, the update handled, then 200."""

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "")
            if secret is not None and not hmac.compare_digest(given, secret):
                return web.Response(status=401)
            try:
                payload = await request.json()
                chat_id = chat_of(payload)
            except (ValueError, TypeError, AttributeError, KeyError):
                return web.Response(status=400)
            await self.lanes.submit(chat_id, payload)
            return web.Response(status=200)

        application = web.Application()
        application.router.add_post("/webhook", receive)
        return application


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
