"""The throttle rule of notices to the secretariat (DESIGN "Trust rules", issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.notify import may_tell

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_the_first_notice_about_a_person_goes_out() -> None:
    assert may_tell(None, NOW)


def test_at_most_one_notice_an_hour() -> None:
    assert not may_tell(NOW, NOW)
    assert not may_tell(NOW - timedelta(minutes=59, seconds=59), NOW)
    assert may_tell(NOW - timedelta(hours=1), NOW)
    assert may_tell(NOW - timedelta(days=3), NOW)
