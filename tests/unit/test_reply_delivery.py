"""Issue 17, without a network: replies that must not be lost go to the outbox, a 429 holds
even an urgent reply, and a webhook never runs without a secret token."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from bot.delivery.content import columns, parts
from bot.delivery.ratelimit import FloodWatch, RateLimiter, apply_retry_after, pace_reply
from bot.delivery.testing import fake_sleep
from bot.dispatch import _split
from bot.protocol import OnSent, OutgoingFile, Reply
from bot.settings import Settings
from tests.support.clock import FakeClock

CHAT, OTHER = 10, 20


def test_durable_replies_and_those_after_them_are_queued_to_the_sender() -> None:
    first, receipt, after = Reply("first"), Reply("receipt", durable=True), Reply("after")
    edit, elsewhere = Reply("edit", edit=True), Reply("note", chat_id=OTHER)
    direct, queued = _split([first, receipt, edit, elsewhere, after], CHAT)
    assert direct == [first, edit]
    assert [(r.text, r.chat_id) for r in queued] == [
        ("receipt", CHAT),
        ("note", OTHER),
        ("after", CHAT),
    ]


def test_without_a_durable_reply_the_sender_is_answered_directly() -> None:
    replies = [Reply("a"), Reply("b", chat_id=CHAT), Reply("c", chat_id=OTHER)]
    assert _split(replies, CHAT) == (replies[:2], replies[2:])


def test_what_a_send_records_rides_with_the_file_part() -> None:
    on_sent = OnSent("document_delivery", {"document_id": 1})
    reply = Reply("x" * 2000, file=OutgoingFile("a.pdf", b"%PDF"), durable=True, on_sent=on_sent)
    text, file = parts(reply)
    assert columns(text)["on_sent"] is None
    assert columns(file)["on_sent"] == {"kind": "document_delivery", "data": {"document_id": 1}}
    with pytest.raises(ValueError, match="durable"):
        Reply("x", on_sent=on_sent)


async def test_an_urgent_reply_skips_the_chats_interval_but_not_its_429() -> None:
    clock = FakeClock()
    limiter, sleep = RateLimiter(rate=1000, chat_interval=1), fake_sleep(clock)
    limiter.at(clock.now())
    await pace_reply(limiter, clock, CHAT, sleep)
    await pace_reply(limiter, clock, CHAT, sleep)
    assert limiter.at(clock.now()) < 0.01  # a chat interval is not waited
    apply_retry_after(limiter, FloodWatch(), CHAT, 5, scoped=True, now=1.0)
    await pace_reply(limiter, clock, OTHER, sleep)
    assert limiter.at(clock.now()) < 0.01  # others are not held back
    await pace_reply(limiter, clock, CHAT, sleep)
    assert limiter.at(clock.now()) >= 6.0  # the retry_after is waited out
    assert limiter.book(OTHER, 6.0, urgent=True) < 6.01


def test_webhook_mode_makes_a_strong_secret_when_none_is_set() -> None:
    made = [Settings(_env_file=None, webhook_url="https://x.example/webhook") for _ in "ab"]
    secrets = [s.webhook_secret.get_secret_value() for s in made if s.webhook_secret]
    assert len(secrets) == 2 and secrets[0] != secrets[1]
    assert all(len(s) >= 43 and s.replace("-", "").replace("_", "").isalnum() for s in secrets)
    assert all(s.webhook_secret_generated for s in made)
    polling = Settings(_env_file=None)
    assert polling.webhook_secret is None and not polling.webhook_secret_generated


@pytest.mark.parametrize("secret", ["", "with space", "ü", "x" * 257])
def test_a_secret_telegram_would_refuse_is_refused_at_start(secret: str) -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET"):
        Settings(_env_file=None, webhook_url="https://x.example/webhook", webhook_secret=secret)


async def test_a_reply_waiting_out_a_429_does_not_hold_back_the_others() -> None:
    clock = FakeClock()
    limiter, sleep = RateLimiter(rate=1000, chat_interval=1), fake_sleep(clock)
    apply_retry_after(limiter, FloodWatch(), CHAT, 5, scoped=True, now=limiter.at(clock.now()))
    returned: dict[int, float] = {}

    async def reply(chat_id: int) -> None:
        await pace_reply(limiter, clock, chat_id, sleep)
        returned[chat_id] = limiter.at(clock.now())

    await asyncio.gather(reply(CHAT), reply(OTHER))
    assert returned[OTHER] < 0.01 and returned[CHAT] >= 5.0
