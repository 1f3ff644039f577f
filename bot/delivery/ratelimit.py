"""The send pace: at most `rate` sends a second overall and one per `chat_interval` per chat.

Telegram allows a bot about 30 messages a second overall and one a second to the same chat
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). Times are
seconds on the injected clock, so tests drive the limiter without sleeping.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock

# A send may go this much before its slot. A worker's turn can run this late (a sleep wakes
# late, a database write takes a few milliseconds); without slack each late turn would lower
# the pace for good. The interval is widened to match, so that any one-second window still
# holds at most `rate` sends (the GCRA bound); it costs 1% of the rate.
SLACK = 0.01
# Sends leave evenly spaced but reach Telegram bunched by the network and the event loop; at
# exactly the limit a few land in the same second and are refused with a 429 (retried a
# second later). Pacing 2% under the limit avoids that (bench.delivery: 429s 6-13 -> 0).
HEADROOM = 0.02
STORM_WINDOW = 20  # send results the flood watch remembers
STORM_MIN_FLOODS = 3
STORM_SHARE = 0.5
PRUNE_ABOVE = 10_000  # chats remembered before old entries are forgotten


@dataclass
class RateLimiter:
    """Books send slots: one every 1/rate seconds overall, one per chat interval per chat.

    A booking never fails: a burst is spread over the next free slots (smoothed, not
    refused). It is GCRA (https://en.wikipedia.org/wiki/Generic_cell_rate_algorithm) with a
    tolerance of SLACK, so any one-second window holds at most `rate` sends. Interactive
    replies book here too, ahead of whatever the outbox books next.
    """

    rate: float
    chat_interval: float
    _next_any: float = 0.0
    _next_chat: dict[int, float] = field(default_factory=dict)
    _held_chat: dict[int, float] = field(default_factory=dict)  # 429s: even urgent ones wait
    _epoch: datetime | None = None

    def at(self, moment: datetime) -> float:
        """`moment` in the limiter's seconds: counted from its first use, because seconds
        since 1970 as a float lose the sub-microsecond precision that spacing needs."""
        if self._epoch is None:
            self._epoch = moment
        return (moment - self._epoch).total_seconds()

    @property
    def interval(self) -> float:
        """Seconds between two sends overall: 1/rate, widened by the slack and the headroom
        (and a hair more, so that float rounding never fits rate + 1 sends in a second)."""
        return (1 + SLACK + HEADROOM) * (1 + 1e-9) / self.rate

    def earliest(self, chat_id: int, now: float, urgent: bool = False) -> float:
        """When a send to `chat_id` could go, without booking it (`urgent`: see `book`)."""
        if urgent:
            return max(now, self._next_any - SLACK, self._held_chat.get(chat_id, now))
        return max(now, self._next_any - SLACK, self._next_chat.get(chat_id, now))

    def book(self, chat_id: int, now: float, urgent: bool = False) -> float:
        """Books the earliest slot for a send to `chat_id`; the caller sends at that time.

        `urgent` (an interactive reply) takes the next overall slot without waiting for the
        chat's own interval: a person who asks expects an answer, and Telegram tolerates a
        short burst in one chat. The send still counts against the chat for the outbox. A
        chat held by a 429 is waited out all the same.
        """
        slot = self.earliest(chat_id, now, urgent)
        self._next_any = max(self._next_any, slot) + self.interval
        self.hold_chat(chat_id, slot + self.chat_interval)
        if len(self._next_chat) > PRUNE_ABOVE:
            self._forget_before(now)
        return slot

    def hold_chat(self, chat_id: int, until: float) -> None:
        """No send to `chat_id` before `until` (the chat's interval)."""
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), until)

    def hold_chat_flooded(self, chat_id: int, until: float) -> None:
        """No send to `chat_id` before `until`, not even an urgent one (a chat-scoped 429)."""
        self.hold_chat(chat_id, until)
        self._held_chat[chat_id] = max(self._held_chat.get(chat_id, 0.0), until)

    def hold_all(self, until: float) -> None:
        """No send at all before `until` (a global 429)."""
        self._next_any = max(self._next_any, until + SLACK)

    def chat_held_until(self, chat_id: int, now: float) -> float:
        """When a 429 lets `chat_id` be sent to again (`now` if it is not held)."""
        return max(now, self._held_chat.get(chat_id, now))

    def held_until(self, now: float) -> float:
        """When the next send to any chat may go."""
        return max(now, self._next_any - SLACK)

    def _forget_before(self, now: float) -> None:
        self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        self._held_chat = {c: t for c, t in self._held_chat.items() if t > now}


def share_of_rate(send_rate: float, live_workers: int) -> float:
    """One process's part of `SEND_RATE`: Telegram's limit is the bot's, however many
    processes send for it, so the live workers (PostgreSQL) split it evenly."""
    return send_rate / max(1, live_workers)


async def pace_reply(
    limiter: RateLimiter,
    clock: Clock,
    chat_id: int,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Books an engine's own reply (a send or an edit) as urgent and waits for its slot: it
    goes ahead of the broadcast's next send instead of pushing the bot over Telegram's limit,
    and after any 429 hold that the outbox or an earlier reply met."""
    now = limiter.at(clock.now())
    if (held := limiter.chat_held_until(chat_id, now)) > now:
        # Waited out before booking: a slot booked that far ahead would hold back everyone.
        await sleep(held - now)
        now = limiter.at(clock.now())
    slot = limiter.book(chat_id, now, urgent=True)
    if slot > now:
        await sleep(slot - now)


def is_storm(floods: int, attempts: int) -> bool:
    """Whether recent 429s say the whole bot is flooded, not one chat.

    Telegram does not say whether a 429 is about one chat or the bot as a whole. A lone 429
    is taken as chat-scoped; when half of the last sends were refused, it is global. Counting
    sends rather than seconds notices a flood as fast at 500 sends a second as at 30.
    """
    return floods >= STORM_MIN_FLOODS and floods >= STORM_SHARE * attempts


@dataclass
class FloodWatch:
    """Remembers the last send results to tell a chat's 429 from a flood."""

    _results: deque[bool] = field(default_factory=lambda: deque(maxlen=STORM_WINDOW))

    def record(self, flooded: bool) -> bool:
        """Adds one send result; True when the bot as a whole is flooded."""
        self._results.append(flooded)
        return flooded and is_storm(sum(self._results), len(self._results))


def apply_retry_after(
    limiter: RateLimiter, watch: FloodWatch, chat_id: int, seconds: float, scoped: bool, now: float
) -> bool:
    """Honours a 429 on a send to `chat_id`; True when it held every chat, not just this one."""
    until = now + seconds
    limiter.hold_chat_flooded(chat_id, until)
    flood = watch.record(flooded=True) or not scoped
    if flood:
        limiter.hold_all(until)
    return flood
