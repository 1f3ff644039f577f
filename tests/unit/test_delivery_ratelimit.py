"""The send pace, driven by hand: no sleeping, times are plain seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.ratelimit import (
    HEADROOM,
    SLACK,
    FloodWatch,
    RateLimiter,
    apply_retry_after,
    is_storm,
    pace_reply,
    share_of_rate,
)
from tests.support.clock import FakeClock


def book_all(limiter: RateLimiter, chats: list[int], now: float = 0.0) -> list[float]:
    return [limiter.book(chat, now) for chat in chats]


def most_in_a_second(slots: list[float]) -> int:
    return max(sum(1 for t in slots if start <= t < start + 1) for start in slots)


def test_a_burst_is_spread_at_the_overall_rate_not_refused() -> None:
    slots = book_all(RateLimiter(rate=30, chat_interval=1), list(range(300)))
    assert len(slots) == 300
    assert most_in_a_second(slots) == 30
    assert slots[-1] < 10.0 * (1 + SLACK + HEADROOM) + 1e-6  # and hardly slower than the rate


def test_late_wake_ups_are_caught_up_within_the_limit() -> None:
    """Each send goes a little after its slot, as asyncio sleeps wake; the pace holds."""
    limiter, sent, now = RateLimiter(rate=200, chat_interval=1), [], 0.0
    for chat in range(2000):
        now = max(now, limiter.earliest(chat, now)) + 0.0015  # woken 1.5 ms late
        sent.append(limiter.book(chat, now))
    assert most_in_a_second(sent) <= 200
    assert len(sent) / (sent[-1] - sent[0]) > 0.99 * 200 / (1 + SLACK + HEADROOM)


def test_one_chat_gets_one_message_a_second() -> None:
    limiter = RateLimiter(rate=30, chat_interval=1)
    assert book_all(limiter, [7, 7, 7]) == [0.0, 1.0, 2.0]
    assert limiter.earliest(7, 0.0) == 3.0
    limiter = RateLimiter(rate=30, chat_interval=1)
    limiter.book(7, 0.0)
    assert limiter.earliest(7, 0.0) == 1.0
    assert limiter.earliest(8, 0.0) < 0.04  # another chat is not held up by chat 7


def test_earliest_does_not_book() -> None:
    limiter = RateLimiter(rate=10, chat_interval=1)
    assert limiter.earliest(1, 5.0) == limiter.earliest(1, 5.0) == 5.0
    assert limiter.book(1, 5.0) == 5.0
    assert limiter.earliest(2, 5.0) == 5.0 + limiter.interval - SLACK
    assert limiter.interval == pytest.approx(0.1 * (1 + SLACK + HEADROOM))


def test_an_idle_limiter_does_not_bank_a_burst() -> None:
    limiter = RateLimiter(rate=10, chat_interval=1)
    limiter.book(1, 0.0)
    assert book_all(limiter, [2, 3], now=100.0) == [100.0, 100.0 + limiter.interval - SLACK]


def test_holds_for_a_chat_and_for_everyone() -> None:
    limiter = RateLimiter(rate=10, chat_interval=1)
    limiter.hold_chat(5, 30.0)
    assert limiter.earliest(5, 0.0) == 30.0 and limiter.earliest(6, 0.0) == 0.0
    limiter.hold_all(12.0)
    assert limiter.earliest(6, 0.0) == 12.0 and limiter.held_until(0.0) == 12.0
    limiter.hold_chat(5, 1.0)  # a shorter hold never shortens a longer one
    assert limiter.earliest(5, 0.0) == 30.0


def test_an_interactive_reply_goes_first_and_pushes_the_outbox_back() -> None:
    limiter = RateLimiter(rate=10, chat_interval=1)
    limiter.book(9, 0.0)  # the member's chat just had a broadcast message
    reply = limiter.book(9, 0.05, urgent=True)
    assert reply == limiter.interval - SLACK  # the next overall slot, not a second later
    assert limiter.earliest(10, 0.05) == 2 * limiter.interval - SLACK  # the broadcast waits
    assert limiter.earliest(9, 0.05) >= 1.0


def test_a_reply_by_the_outbox_waits_like_an_engines_reply() -> None:
    """A document asked for right after the list it sits on: the chat's one-a-second does
    not hold it back (the person is waiting), a 429 hold on the chat does."""
    limiter = RateLimiter(rate=10, chat_interval=1)
    limiter.book(9, 0.0)  # the list the person pressed on
    assert limiter.earliest(9, 0.05) >= 1.0
    assert limiter.earliest(9, 0.05, urgent=True) == limiter.interval - SLACK
    limiter.hold_chat_flooded(9, 7.0)
    assert limiter.earliest(9, 0.05, urgent=True) == 7.0


def test_a_lone_429_is_the_chats_and_a_flood_is_everyones() -> None:
    assert not is_storm(floods=1, attempts=1)
    assert not is_storm(floods=2, attempts=2)
    assert is_storm(floods=3, attempts=6)
    assert not is_storm(floods=3, attempts=100)  # 3% refused: some chats, not the bot

    limiter, watch = RateLimiter(rate=30, chat_interval=1), FloodWatch()
    for _ in range(20):
        watch.record(flooded=False)
    assert not apply_retry_after(limiter, watch, 1, 5, scoped=True, now=0.7)
    assert limiter.earliest(1, 0.7) == 5.7 and limiter.earliest(2, 0.7) < 1
    assert not apply_retry_after(limiter, watch, 2, 5, scoped=True, now=0.71)
    for chat in range(3, 30):
        apply_retry_after(limiter, watch, chat, 5, scoped=True, now=0.72)
    assert limiter.held_until(0.72) == 5.72


def test_a_global_429_holds_everyone_at_once() -> None:
    limiter = RateLimiter(rate=30, chat_interval=1)
    assert apply_retry_after(limiter, FloodWatch(), 1, 3, scoped=False, now=0.0)
    assert limiter.earliest(99, 0.0) == 3.0


def test_old_floods_are_forgotten() -> None:
    watch = FloodWatch()
    for _ in range(3):
        watch.record(flooded=True)
    for _ in range(20):
        watch.record(flooded=False)
    assert not watch.record(flooded=True)  # the earlier ones are out of the window


def test_limiter_seconds_keep_microseconds() -> None:
    limiter = RateLimiter(rate=30, chat_interval=1)
    start = datetime(2026, 11, 25, tzinfo=UTC)
    assert limiter.at(start) == 0.0
    assert limiter.at(start + timedelta(microseconds=1)) == 1e-6


async def test_an_engines_reply_takes_the_next_overall_slot_not_the_chats() -> None:
    clock, waits = FakeClock(), []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))

    limiter = RateLimiter(rate=10, chat_interval=1)
    await pace_reply(limiter, clock, 8, sleep)
    await pace_reply(limiter, clock, 8, sleep)  # urgent: not a second later
    assert waits == [round(limiter.interval - SLACK, 6)]
    # the outbox's next send waits behind both replies
    assert limiter.earliest(9, limiter.at(clock.now())) == 2 * limiter.interval - SLACK


@pytest.mark.parametrize(("live", "share"), [(0, 30), (1, 30), (2, 15), (3, 10)])
def test_live_workers_split_the_bots_send_rate(live: int, share: float) -> None:
    assert share_of_rate(30, live) == share
