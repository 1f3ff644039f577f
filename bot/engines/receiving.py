"""How Telegram updates come in, the same on both engines: nothing lost, one chat in order.

Both libraries' own polling confirms an update to Telegram (the next getUpdates' offset)
before it is handled, so a kill -9 loses the updates in hand. Here a batch is written to the
inbox first and only then confirmed; on start, updates written down but never handled (not in
processed_updates) are replayed — the dispatch's update key makes a replay of a handled one a
no-op. If the database refuses the batch, the offset stays: Telegram hands it over again.
An update that takes the process down would come back at every start and take it down
again: each handing over is counted first (at the batch's writing, then per replay), and one
the process died with twice is set aside as a dead letter instead, its sender told once.

A webhook update is handled before the 200 is returned (Telegram retries otherwise), and the
answer is 200 even when handling failed: the dispatch has set the update aside as a dead
letter, and a 5xx would only make Telegram hold back that chat's later updates.

Each chat's updates run one after another in arrival order (a form's answers must not
overtake each other); different chats run concurrently.
"""

from __future__ import annotations

import asyncio
import functools
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
from bot.delivery import api
from bot.i18n import N_, Catalogs
from bot.protocol import Reply, parse_command
from bot.routing import parse_button
from bot.throttle import FloodGuard
from storage import inbox, people
from storage.db import writing
from storage.inbox_models import InboundUpdate

log = logging.getLogger(__name__)

Payload = dict[str, Any]
Process = Callable[[Payload], Awaitable[None]]
Fetch = Callable[[int | None], Awaitable[list[Payload]]]
SetAside = Callable[[str, int, str, BaseException], Awaitable[None]]  # Dispatcher.set_aside
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HANDED_OVER_AT_MOST = 2  # an update the process died with this many times is set aside

SET_ASIDE_FOR_SENDER = N_(
    "Something you sent could not be handled: the bot stopped while handling it, twice. It "
    "was set aside and the secretariat has been told; your other messages are answered as "
    "usual."
)


class ProcessDied(Exception):
    """What a dead letter records for an update the process died with while handling it."""


def _language_code(payload: Payload) -> str | None:
    body = payload.get("message") or payload.get("callback_query") or {}
    return (body.get("from") or {}).get("language_code")


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


def summary_of(payload: Payload) -> str:
    """What kind of update it was, for the dead-letter table: never its text or choice."""
    if (query := payload.get("callback_query")) is not None:
        return f"button {parse_button(str(query.get('data') or ''))[0]}"
    message = payload.get("message") or {}
    if command := parse_command(str(message.get("text") or "")):
        return f"command /{command[0]}"
    if message.get("document") or message.get("photo"):
        return "file"
    return "text" if "text" in message else "update"


class ChatLanes:
    """Runs each chat's updates in order, chats side by side; `drain` waits for all."""

    def __init__(self, process: Process) -> None:
        self._process = process
        self._tails: dict[int, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def submit(
        self, chat_id: int, payload: Payload, before: Callable[[], Awaitable[None]] | None = None
    ) -> asyncio.Task[None]:
        """Queues `payload` behind the chat's others; `before` runs when its turn comes."""
        task = asyncio.create_task(self._after(self._tails.get(chat_id), payload, before))
        self._tails[chat_id] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(chat_id, done))
        return task

    async def drain(self) -> None:
        while self._running:
            await asyncio.wait(set(self._running))

    async def _after(
        self,
        previous: asyncio.Task[None] | None,
        payload: Payload,
        before: Callable[[], Awaitable[None]] | None,
    ) -> None:
        if previous is not None:
            await asyncio.wait({previous})  # its failure is its own
        try:
            if before is not None:
                await before()
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
        set_aside: SetAside,
        catalogs: Catalogs,
    ) -> None:
        self.sessions, self.clock, self.writers = sessions, clock, writers
        self.flood, self.set_aside, self.catalogs = flood, set_aside, catalogs
        self.lanes = ChatLanes(process)
        self.replay_window = timedelta(seconds=replay_seconds)
        self.retry_seconds = retry_seconds

    async def replay(self) -> int:
        """Hands over the updates written down but never handled, and sets aside those the
        process died with twice; returns how many were handed over."""
        now = self.clock.now()
        async with self.writers, self.sessions() as session, session.begin():
            await inbox.forget_before(session, now - max(self.replay_window, timedelta(days=1)))
            pending = await inbox.unhandled(session, now - self.replay_window)
        replayed = [row for row in pending if row.attempts < HANDED_OVER_AT_MOST]
        for row in pending:
            if row.attempts >= HANDED_OVER_AT_MOST:
                await self._set_aside(row)
        for row in replayed:
            # One at a time: then the update in hand when the process dies is the only one
            # whose count goes up, and an innocent one never reaches the limit beside it.
            before = functools.partial(self._handing_over, row.key)
            await self.lanes.submit(row.chat_id, row.payload, before)
        if replayed:
            log.info(
                "replaying %d update(s) received but not handled before a stop", len(replayed)
            )
        return len(replayed)

    async def _handing_over(self, key: str) -> None:
        async with self.writers, self.sessions() as session, session.begin():
            await inbox.handing_over(session, key)

    async def _set_aside(self, row: InboundUpdate) -> None:
        """A dead letter for an update the process died with twice: its sender is told, then
        the secretariat (`Dispatcher.set_aside`, which also claims its key and drops its
        content). Told in this order, a death in between tells nobody twice."""
        log.warning("update %s set aside: the process died twice while handling it", row.key)
        try:
            await self._tell_sender(row)
        except (OperationalError, DBAPIError, OSError) as error:
            log.warning("sender of %s not told: %s", row.key, type(error).__name__)
        died = ProcessDied("the process died twice while handling it")
        await self.set_aside(row.key, row.chat_id, summary_of(row.payload), died)

    async def _tell_sender(self, row: InboundUpdate) -> None:
        """Queues the sender's apology once (the outbox's dedup key), in their language."""
        sender = sender_of(row.payload) or row.chat_id
        async with writing(self.sessions, self.writers) as session:  # reads first
            person = await people.by_telegram_id(session, sender)
            if person is not None:
                t = self.catalogs.for_person(person.locale, person.language_code)
            else:
                t = self.catalogs.for_person(None, _language_code(row.payload))
            reply = Reply(t(SET_ASIDE_FOR_SENDER), chat_id=sender)
            now, dedup_key = self.clock.now(), f"dead:{row.key}"
            await api.notify(session, reply, purpose="dead_letter", now=now, dedup_key=dedup_key)

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

    def webhook_app(self, secret: str) -> web.Application:
        """POST /webhook: the secret token checked, the update handled, then 200. A request
        without the token is refused before it is read: nothing recorded, nothing handled."""
        if not secret:
            raise ValueError("a webhook needs a secret token")
        expected = secret.encode()

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):  # constant time
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
