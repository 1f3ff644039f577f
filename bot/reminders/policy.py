"""Whether a reminder that comes due late is still worth sending (plain rules, no database)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class Decision(enum.Enum):
    SEND = "send"
    SEND_LATE = "send late"  # the bot was down when it came due, but it still matters
    TOO_LATE = "too late"  # dropped, and the secretariat is told


@dataclass(frozen=True)
class LatePolicy:
    """How late a kind of reminder may go out."""

    on_time: timedelta = timedelta(minutes=5)  # later than this counts as late
    relevant_for: timedelta | None = None  # None: worth sending however late


def late_decision(
    due_at: datetime, now: datetime, policy: LatePolicy, expires_at: datetime | None
) -> Decision:
    """Sends on time, sends late while still relevant, and drops what no longer is.

    A reminder is fired once: this decides whether that once is a send or a drop.
    """
    if expires_at is not None and now >= expires_at:
        return Decision.TOO_LATE
    lateness = now - due_at
    if policy.relevant_for is not None and lateness > policy.relevant_for:
        return Decision.TOO_LATE
    return Decision.SEND_LATE if lateness > policy.on_time else Decision.SEND
