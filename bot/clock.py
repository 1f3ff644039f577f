"""Time, injected: tests control it, the bot asks it for `now`.

The charter's dates (joining, withdrawal, tiers, participation, terms, notice periods) are
days in the center's time zone (`TIMEZONE`), never UTC days: `local_date` is the one place a
moment becomes a date (DESIGN.md, trust rules).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The calendar day of `moment` in `zone` — for `now`, the center's "today".

    07:30 in Beijing on 1 March is still 28 February in UTC; the charter counts from 1 March.
    """
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no day: pass an aware one")
    return moment.astimezone(zone).date()
