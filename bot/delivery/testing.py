"""A transport for tests and the benchmark: keeps what it sends, fails or hangs on cue."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.transport import DeliveryError, Permanent, Transport
from bot.delivery.worker import OutboxWorker
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.settings import Settings


class MovableClock(Clock, Protocol):
    def advance(self, **delta: float) -> datetime: ...


def fake_sleep(clock: MovableClock) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the clock instead of waiting (after letting other tasks run)."""

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)
        if seconds > 0:  # rounded up to the clock's microsecond, as a sleep is never short
            clock.advance(microseconds=math.ceil(seconds * 1_000_000))

    return sleep


@dataclass(frozen=True)
class Sent:
    chat_id: int
    reply: Reply
    at: datetime
    message_id: int
    edited: bool = False


class RecordingTransport:
    """Records every send with the clock's time; `fail` scripts errors per chat."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[Sent] = []
        self.deleted: list[tuple[int, int]] = []  # (chat id, message id)
        self.attempts: list[tuple[int, datetime]] = []  # every call, failed ones too
        self._failures: dict[int, list[DeliveryError]] = defaultdict(list)
        self.uneditable: set[int] = set()  # chats whose messages were deleted: edits fail
        self._ids = itertools.count(1)
        self._hang_after: int | None = None
        self.hanging = asyncio.Event()  # set once a send hangs

    def fail(self, chat_id: int, *errors: DeliveryError) -> None:
        """The next sends to `chat_id` raise these, in order."""
        self._failures[chat_id].extend(errors)

    def hang_after(self, count: int | None) -> None:
        """After `count` sends, each further send is delivered and then never returns —
        the process dies in the middle of it, as far as the worker can tell. None: no more."""
        self._hang_after = count

    async def send(self, chat_id: int, reply: Reply) -> int:
        self.attempts.append((chat_id, self.clock.now()))
        if self._failures.get(chat_id):
            raise self._failures[chat_id].pop(0)
        message_id = next(self._ids)
        self.sent.append(Sent(chat_id, reply, self.clock.now(), message_id))
        if self._hang_after is not None and len(self.sent) > self._hang_after:
            self.hanging.set()
            await asyncio.Event().wait()
        return message_id

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        self.attempts.append((chat_id, self.clock.now()))
        if chat_id in self.uneditable:
            raise Permanent("Bad Request: message to edit not found")
        if self._failures.get(chat_id):
            raise self._failures[chat_id].pop(0)
        self.sent.append(Sent(chat_id, reply, self.clock.now(), message_id, edited=True))

    async def delete(self, chat_id: int, message_id: int) -> None:
        self.attempts.append((chat_id, self.clock.now()))
        if self._failures.get(chat_id):
            raise self._failures[chat_id].pop(0)
        self.deleted.append((chat_id, message_id))

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def messages(self) -> list[Sent]:
        """New messages only, not edits."""
        return [s for s in self.sent if not s.edited]


def make_test_worker(
    sessions: async_sessionmaker[AsyncSession],
    transport: Transport,
    settings: Settings,
    clock: MovableClock,
    catalogs: Catalogs,
    name: str | None = None,
) -> OutboxWorker:
    """A worker whose waits move the clock instead of taking time."""
    limiter = RateLimiter(settings.send_rate, settings.per_chat_interval)
    return OutboxWorker(
        sessions, transport, limiter, settings, clock, catalogs, name=name, sleep=fake_sleep(clock)
    )


async def deliver_queued(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: MovableClock,
    catalogs: Catalogs,
) -> RecordingTransport:
    """Sends everything the outbox holds, as a running bot would (moving the clock by the
    pace); returns what was sent. For tests that read what a send records (`Reply.on_sent`)."""
    transport = RecordingTransport(clock)
    await make_test_worker(sessions, transport, settings, clock, catalogs).run_until_idle()
    return transport
