"""What becomes of an outbox row after an attempt, and how long a broadcast has left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.policy import RetryLimits, backoff_delay, seconds_left, verdict
from bot.delivery.transport import Blocked, Permanent, RetryAfter, Transient
from storage.models import DeliveryStatus

NOW = datetime(2026, 11, 25, 2, tzinfo=UTC)
LIMITS = RetryLimits(max_attempts=4, backoff=2, backoff_max=10)


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff_delay(n, LIMITS) for n in range(1, 6)] == [2, 4, 8, 10, 10]


def test_sent_keeps_the_message_id() -> None:
    v = verdict(0, False, 812, NOW, LIMITS)
    assert (v.status, v.message_id, v.sent_at, v.attempts) == (DeliveryStatus.SENT, 812, NOW, 0)


def test_sent_after_an_interrupted_attempt_is_unknown() -> None:
    assert verdict(1, True, 5, NOW, LIMITS).status is DeliveryStatus.UNKNOWN


def test_429_waits_without_using_an_attempt() -> None:
    v = verdict(2, False, RetryAfter(30, chat_id=1), NOW, LIMITS)
    assert (v.status, v.attempts) == (DeliveryStatus.PENDING, 2)
    assert v.next_attempt_at == NOW + timedelta(seconds=30)


def test_403_blocks() -> None:
    v = verdict(0, False, Blocked("Forbidden: bot was blocked by the user"), NOW, LIMITS)
    assert (v.status, v.last_error) == (
        DeliveryStatus.BLOCKED,
        "Forbidden: bot was blocked by the user",
    )


@pytest.mark.parametrize(("attempts", "delay"), [(0, 2), (1, 4), (2, 8)])
def test_transient_errors_retry_with_backoff(attempts: int, delay: float) -> None:
    v = verdict(attempts, False, Transient("Bad Gateway"), NOW, LIMITS)
    assert (v.status, v.attempts) == (DeliveryStatus.PENDING, attempts + 1)
    assert v.next_attempt_at == NOW + timedelta(seconds=delay)


def test_transient_errors_fail_at_the_limit_with_the_reason() -> None:
    v = verdict(3, False, Transient("Bad Gateway"), NOW, LIMITS)
    assert (v.status, v.attempts) == (DeliveryStatus.FAILED, 4)
    assert v.last_error == "gave up after 4 attempts: Bad Gateway"


def test_a_timeout_may_have_delivered_so_the_retry_is_uncertain() -> None:
    v = verdict(0, False, Transient("timeout", maybe_delivered=True), NOW, LIMITS)
    assert v.uncertain and v.status is DeliveryStatus.PENDING
    assert verdict(1, v.uncertain, 9, NOW, LIMITS).status is DeliveryStatus.UNKNOWN


def test_permanent_errors_fail_at_once() -> None:
    v = verdict(0, False, Permanent("Bad Request: chat not found"), NOW, LIMITS)
    assert (v.status, v.attempts) == (DeliveryStatus.FAILED, 1)


def test_time_left() -> None:
    assert seconds_left(300, 0, 0, send_rate=30) == 10  # full rate before anything is done
    assert seconds_left(100, 100, 20, send_rate=30) == 20  # 5/s so far
    assert seconds_left(30, 3000, 10, send_rate=30) == 1  # never faster than the rate
    assert seconds_left(0, 10, 1, send_rate=30) == 0


def test_time_left_counts_a_pending_retry_after() -> None:
    """Issue 20: '预计还需 3秒钟' while a send waited 7 s for Telegram's retry_after."""
    assert seconds_left(90, 0, 0, send_rate=30, waiting=7) == 10
    assert seconds_left(90, 0, 0, send_rate=30, waiting=-1) == 3  # nothing held
    assert seconds_left(0, 90, 3, send_rate=30, waiting=7) == 0  # nothing left to send
