"""Dates and times as people read them: to the minute, 24-hour, with the weekday, in the
center's zone — never the US short form nor seconds (issue 20)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from bot.i18n import Catalogs

# 15:03:34 UTC is 23:03 in Beijing, on Thursday 17 December 2026.
MOMENT = datetime(2026, 12, 17, 15, 3, 34, tzinfo=UTC)
CATALOGS = Catalogs("zh_CN", "Asia/Shanghai")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Thu, Dec 17, 2026, 23:03"), ("zh_CN", "2026年12月17日周四 23:03")],
)
def test_a_moment_reads_to_the_minute_with_its_weekday(locale: str, expected: str) -> None:
    assert CATALOGS.translator(locale).datetime(MOMENT) == expected


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_no_seconds_no_am_pm_no_short_year(locale: str) -> None:
    shown = CATALOGS.translator(locale).datetime(MOMENT)
    assert ":34" not in shown
    assert not re.search(r"[AP]M|上午|下午|晚上", shown)
    assert "12/17/26" not in shown


def test_the_calendar_day_is_the_centers() -> None:
    """A moment late in the UTC day is the next day in Beijing."""
    late = datetime(2026, 12, 17, 16, 30, tzinfo=UTC)
    assert CATALOGS.translator("en").date(late) == "Fri, Dec 18, 2026"
    assert CATALOGS.translator("zh_CN").date(late) == "2026年12月18日周五"
    assert CATALOGS.translator("en").time(late) == "00:30"


def test_a_day_reads_with_its_weekday() -> None:
    assert CATALOGS.translator("en").date(date(2027, 1, 1)) == "Fri, Jan 1, 2027"
    assert CATALOGS.translator("zh_CN").date(date(2027, 1, 1)) == "2027年1月1日周五"
