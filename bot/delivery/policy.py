"""What becomes of an outbox row after one attempt, and how long a broadcast has left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.transport import Blocked, DeliveryError, Permanent, RetryAfter, Transient
from storage.models import DeliveryStatus

# The purpose of a reply to the person being answered that goes by the outbox (a document,
# an export, a link: `Reply.durable`). It is paced as the engine's own replies are: the
# overall rate and 429 holds, not the chat's one-per-second, since the person is waiting.
REPLY = "reply"


@dataclass(frozen=True)
class RetryLimits:
    max_attempts: int  # failed attempts (network, 5xx) before a message is given up
    backoff: float  # seconds before the first retry; doubled for each further one
    backoff_max: float


@dataclass(frozen=True)
class Verdict:
    """The row's new state after an attempt; `None` fields are left as they were."""

    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    uncertain: bool
    last_error: str | None = None
    message_id: int | None = None
    sent_at: datetime | None = None


def backoff_delay(attempts: int, limits: RetryLimits) -> float:
    """Seconds before retry number `attempts` (1, 2, ...): exponential, capped.

    No jitter: the rate limiter spreads the retries of many rows anyway.
    """
    return min(limits.backoff_max, limits.backoff * 2 ** max(attempts - 1, 0))


def verdict(
    attempts: int,
    uncertain: bool,
    result: int | DeliveryError,
    now: datetime,
    limits: RetryLimits,
) -> Verdict:
    """Decides the row's state from what the transport said (a message id or an error)."""
    if isinstance(result, int):
        # A message sent after an interrupted attempt may have arrived twice: say so.
        status = DeliveryStatus.UNKNOWN if uncertain else DeliveryStatus.SENT
        return Verdict(status, attempts, now, uncertain, message_id=result, sent_at=now)
    if isinstance(result, RetryAfter):
        # Flood control is pacing, not failure: it does not use up an attempt.
        later = now + timedelta(seconds=result.seconds)
        return Verdict(DeliveryStatus.PENDING, attempts, later, uncertain, result.reason)
    if isinstance(result, Blocked):
        return Verdict(DeliveryStatus.BLOCKED, attempts + 1, now, uncertain, result.reason)
    if isinstance(result, Transient):
        uncertain = uncertain or result.maybe_delivered
        return _after_transient(attempts + 1, uncertain, result, now, limits)
    assert isinstance(result, Permanent | DeliveryError)
    return Verdict(DeliveryStatus.FAILED, attempts + 1, now, uncertain, result.reason)


def _after_transient(
    attempts: int, uncertain: bool, error: Transient, now: datetime, limits: RetryLimits
) -> Verdict:
    if attempts >= limits.max_attempts:
        reason = f"gave up after {attempts} attempts: {error.reason}"
        return Verdict(DeliveryStatus.FAILED, attempts, now, uncertain, reason)
    later = now + timedelta(seconds=backoff_delay(attempts, limits))
    return Verdict(DeliveryStatus.PENDING, attempts, later, uncertain, error.reason)


def seconds_left(
    remaining: int, done: int, elapsed: float, send_rate: float, waiting: float = 0.0
) -> float:
    """Time a broadcast still needs: the wait Telegram imposed (a pending retry_after), then
    the rest at the pace seen so far, or at full rate before that."""
    if remaining <= 0:
        return 0.0
    pace = done / elapsed if done and elapsed > 0 else send_rate
    return max(waiting, 0.0) + remaining / min(pace, send_rate)
