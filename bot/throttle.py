"""Flood control: a person sending faster than anyone types is slowed down, alone.

A token bucket per sender, kept in memory before any database work, so a flood costs the
database nothing and other people's updates are not slowed. It is per process: with several
webhook workers each keeps its own buckets, which only makes the limit looser.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

FORGET_ABOVE = 10_000  # senders tracked before the idle ones are dropped


class Admission(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first update refused in a flood: answered once, politely
    DROP = "drop"  # later ones: silence, until the sender slows down


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class FloodGuard:
    """Admits `burst` updates at once and `rate` per second after that, per sender."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, _Bucket] = {}

    def admit(self, sender_id: int, now: float) -> Admission:
        if len(self._buckets) > FORGET_ABOVE:
            self.forget_idle(now)
        bucket = self._buckets.get(sender_id)
        if bucket is None:
            bucket = self._buckets[sender_id] = _Bucket(float(self.burst), now)
        # max(): a clock set back (NTP, a test) refills nothing rather than draining the bucket
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            if bucket.tokens >= self.burst / 2:
                bucket.warned = False  # slowed down: a later flood is warned about again
            return Admission.ADMIT
        if bucket.warned:
            return Admission.DROP
        bucket.warned = True
        return Admission.WARN

    def silenced(self, sender_id: int, now: float) -> bool:
        """Whether the sender's next update would be dropped; changes nothing. Lets the
        engine skip reading a flood's updates at all."""
        bucket = self._buckets.get(sender_id)
        if bucket is None or not bucket.warned:
            return False
        return bucket.tokens + (now - bucket.at) * self.rate < 1

    def forget_idle(self, now: float) -> None:
        """Drops the buckets that have filled up again; they hold nothing worth keeping."""
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
