"""The charter's recurring duties, all in this one place.

- `obligation:art27-quarterly-meeting` — art. 27, the leadership holds an office meeting
  at least quarterly.
  Runs at 09:00 (TIMEZONE) on 1 March, 1 June, 1 September and 1 December, and reminds the
  secretariat; the reminder holds until the quarter ends.
- `obligation:art33-fund-report` — art. 33, the use of funds is published every year.
  Runs at 09:00 on 15 January and reminds the secretariat to publish last year's report;
  the reminder holds until 1 April.

Each job also runs once when the scheduler starts. The check is idempotent — one reminder
per period, by its dedup key — so a period whose time came while the bot was down is caught
up, and a second instance or a second run adds nothing. On PostgreSQL each run also takes an
advisory lock, so only one instance does the work. The reminders go out through the sweep
and the outbox like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.clock import local_date
from bot.i18n import N_
from bot.protocol import Button, Reply
from bot.reminders.kinds import Firing, ReminderKind
from bot.routing import button_data

ART27 = "art27_quarterly_meeting"
ART33 = "art33_fund_report"
CHECK_HOUR = 9  # local time the checks run and their reminders fall due

ART27_TEXT = N_(
    "Article 27: the center's leadership holds an office meeting of the member units at least "
    "once a quarter. This quarter ends on {date}. If no such meeting has been held or "
    "scheduled, please schedule one."
)
ART33_TEXT = N_(
    "Article 33: the secretariat publishes the use of funds to the member units every year. "
    "Please publish the use of funds for {year}."
)
ART33_BUTTON = N_("Publish the report to all members")
ART27_LABEL = N_("quarterly office meeting check (art. 27)")
ART33_LABEL = N_("yearly report on the use of funds (art. 33)")


@dataclass(frozen=True)
class Occurrence:
    """One period's reminder: its dedup key, when it falls due, until when it matters."""

    key: str
    due_at: datetime
    expires_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Obligation:
    name: str
    article: str
    kind: str
    cron: dict[str, str]  # APScheduler CronTrigger fields, in the bot's time zone
    occurrence: Callable[[datetime], Occurrence | None]  # local now -> the period's reminder


def obligations() -> list[Obligation]:
    """The table above, as the scheduler reads it."""
    hour = str(CHECK_HOUR)
    return [
        Obligation(
            "art27-quarterly-meeting",
            "27",
            ART27,
            {"month": "3,6,9,12", "day": "1", "hour": hour},
            quarterly_meeting,
        ),
        Obligation(
            "art33-fund-report",
            "33",
            ART33,
            {"month": "1", "day": "15", "hour": hour},
            fund_report,
        ),
    ]


def quarterly_meeting(local_now: datetime) -> Occurrence | None:
    """Art. 27: the leadership meets at least quarterly; remind in the quarter's last month."""
    quarter = (local_now.month - 1) // 3 + 1
    start = _at(local_now, quarter * 3, 1, CHECK_HOUR)
    end = _quarter_end(local_now, quarter)
    if not start <= local_now < end:
        return None
    zone = local_now.tzinfo
    assert zone is not None, "obligations are computed on the center's local time"
    last_day = local_date(end - timedelta(days=1), zone).isoformat()
    payload = {"year": local_now.year, "quarter": quarter, "last_day": last_day}
    return Occurrence(f"art27:{local_now.year}-Q{quarter}", start, end, payload)


def fund_report(local_now: datetime) -> Occurrence | None:
    """Art. 33: the fund usage is published every year; remind from 15 January to March."""
    start, end = _at(local_now, 1, 15, CHECK_HOUR), _at(local_now, 4, 1, 0)
    if not start <= local_now < end:
        return None
    year = local_now.year - 1
    return Occurrence(f"art33:{year}", start, end, {"year": year})


def _quarter_end(local_now: datetime, quarter: int) -> datetime:
    if quarter == 4:
        return _at(local_now.replace(year=local_now.year + 1), 1, 1, 0)
    return _at(local_now, quarter * 3 + 1, 1, 0)


def _at(local_now: datetime, month: int, day: int, hour: int) -> datetime:
    return local_now.replace(month=month, day=day, hour=hour, minute=0, second=0, microsecond=0)


async def _render_art27(firing: Firing) -> Reply | None:
    from bot.services import meetings

    if not await meetings.quarter_needs_meeting(firing.session, firing.now, firing.t.zone):
        return None  # a meeting was held or is scheduled this quarter: nothing to remind
    last_day = date.fromisoformat(firing.reminder.payload["last_day"])
    shown = firing.t.date(last_day)
    return Reply(firing.t(ART27_TEXT).format(date=shown))


async def _render_art33(firing: Firing) -> Reply:
    """With the ready path: the button starts the notice that publishes the report to all
    members as a members' document (handlers/notices.py, `nfund`)."""
    year = firing.reminder.payload["year"]
    start = Button(firing.t(ART33_BUTTON), button_data("nfund", year))
    return Reply(firing.t(ART33_TEXT).format(year=year), buttons=((start,),))


def kinds() -> list[ReminderKind]:
    """The reminder kinds these duties create; expiry is set per period (`Occurrence`)."""
    return [
        ReminderKind(ART27, ART27_LABEL, _render_art27),
        ReminderKind(ART33, ART33_LABEL, _render_art33),
    ]
