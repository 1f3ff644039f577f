"""Whether a reminder that comes due late is still worth sending (plain rules, no database)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class Decision(enum.Enum):
    SEND = "send"
    SEND_LATE = "send late"  # the bot was down when it came due, but it still matters
    TOO_LATE = "too late"  # dropped and counted: what it was about has begun or expired
    SUPERSEDED = "superseded"  # dropped and counted: a later reminder of the same thing goes


@dataclass(frozen=True)
class LatePolicy:
    """How late a kind of reminder may go out."""

    on_time: timedelta = timedelta(minutes=5)  # later than this counts as late
    relevant_for: timedelta | None = None  # None: worth sending however late


def late_decision(
    due_at: datetime,
    now: datetime,
    policy: LatePolicy,
    expires_at: datetime | None,
    latest_due: datetime | None = None,
) -> Decision:
    """Sends on time, sends late while still useful, and drops what no longer is.

    A reminder is useless once the thing it is about has begun (`expires_at`: a meeting's
    or an event's start), once it is later than its kind allows (`relevant_for`), or once a
    later reminder of the same thing is due as well (`latest_due`: the due time of the latest
    due reminder with the same subject). That last case is the restart after the bot was
    down: a meeting's 1-day and 1-hour reminders both came due, and a seat holder should get
    the 1-hour one alone, not both at once. A reminder is fired once: this decides whether
    that once is a send or a drop.
    """
    if expires_at is not None and now >= expires_at:
        return Decision.TOO_LATE
    if latest_due is not None and latest_due > due_at:
        return Decision.SUPERSEDED
    lateness = now - due_at
    if policy.relevant_for is not None and lateness > policy.relevant_for:
        return Decision.TOO_LATE
    return Decision.SEND_LATE if lateness > policy.on_time else Decision.SEND
