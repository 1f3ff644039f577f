"""The center's day (DESIGN, trust rules): one helper turns a moment into a charter date, and no
other code takes a UTC date or reads the system clock."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import local_date
from bot.errors import DomainError
from bot.services.meetings import check_date

ZONE = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("bot", "handlers", "storage")
HELPER = Path("bot/clock.py")  # the one module that may read the clock and take a date
SYSTEM_CLOCK = {
    ("date", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
}


def beijing(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        (datetime(2027, 2, 28, 15, 30, tzinfo=UTC), date(2027, 2, 28)),  # 23:30 in Beijing
        (datetime(2027, 2, 28, 16, 30, tzinfo=UTC), date(2027, 3, 1)),  # 00:30
        (datetime(2027, 2, 28, 23, 30, tzinfo=UTC), date(2027, 3, 1)),  # 07:30
        (datetime(2027, 3, 1, 15, 30, tzinfo=UTC), date(2027, 3, 1)),  # 23:30
    ],
)
def test_local_date_is_the_beijing_day(utc: datetime, day: date) -> None:
    assert local_date(utc, ZONE) == day


def test_a_naive_moment_has_no_day() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2027, 3, 1, 0, 30), ZONE)


# -- art. 20: the agenda 15 days ahead, in the center's days -----------------------------------


@pytest.mark.parametrize(("hour", "minute"), [(0, 30), (7, 30), (23, 30)])
def test_agenda_notice_counts_from_the_beijing_day(hour: int, minute: int) -> None:
    """Notice on 1 March in Beijing allows 16 March, not 15 March, whatever the UTC date."""
    now = beijing(date(2027, 3, 1), hour, minute)
    check_date(beijing(date(2027, 3, 16), 9, 0), now, ZONE)
    with pytest.raises(DomainError):
        check_date(beijing(date(2027, 3, 15), 23, 30), now, ZONE)


def test_a_meeting_early_in_the_beijing_morning_is_on_that_day() -> None:
    """A meeting at 00:30 Beijing on 16 March is on 16 March (15 March in UTC)."""
    now = beijing(date(2027, 3, 1), 23, 30)
    check_date(beijing(date(2027, 3, 16), 0, 30), now, ZONE)


# -- no UTC dates, no system clock, outside bot/clock.py ---------------------------------------


def forbidden_calls(source: str) -> list[tuple[int, str]]:
    """`.date()` on anything, and `date.today()` / `datetime.now()` / `datetime.utcnow()`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if name == "date" and not node.args and not node.keywords:
            found.append((node.lineno, ".date()"))
        elif (owner_name, name) in SYSTEM_CLOCK:
            found.append((node.lineno, f"{owner_name}.{name}()"))
    return found


def offences(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line}: {call}"
        for folder in CHECKED
        for path in sorted((root / folder).rglob("*.py"))
        if path.relative_to(root) != HELPER
        for line, call in forbidden_calls(path.read_text(encoding="utf-8"))
    ]


def test_the_checker_sees_what_it_forbids() -> None:
    source = (
        "now.date()\nnow.astimezone(zone).date()\ndate.today()\n"
        "datetime.now(UTC)\ndatetime.datetime.utcnow()\nday.replace(day=1)\n"
    )
    assert [line for line, _ in forbidden_calls(source)] == [1, 2, 3, 4, 5]


def test_charter_dates_come_only_from_the_one_helper() -> None:
    """Every charter date is a day in TIMEZONE: use bot.clock.local_date(moment, zone), and
    the injected clock for `now`."""
    assert offences(ROOT) == []
