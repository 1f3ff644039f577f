"""The rule that drops a reminder no longer useful (issue 20): begun, expired, or superseded
by a later reminder of the same thing that is due as well."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.reminders.policy import Decision, LatePolicy, late_decision

STARTS = datetime(2026, 12, 11, 2, tzinfo=UTC)  # a meeting at 10:00 in Shanghai
DAY_BEFORE, HOUR_BEFORE = STARTS - timedelta(days=1), STARTS - timedelta(hours=1)
ALWAYS = LatePolicy()


def test_the_day_before_reminder_is_superseded_once_the_hour_before_one_is_due() -> None:
    back = STARTS - timedelta(minutes=30)  # the bot comes back half an hour before the start
    assert late_decision(DAY_BEFORE, back, ALWAYS, STARTS, HOUR_BEFORE) is Decision.SUPERSEDED
    assert late_decision(HOUR_BEFORE, back, ALWAYS, STARTS, HOUR_BEFORE) is Decision.SEND_LATE


def test_the_day_before_reminder_still_goes_late_before_the_hour_mark() -> None:
    back = HOUR_BEFORE - timedelta(hours=3)
    assert late_decision(DAY_BEFORE, back, ALWAYS, STARTS, DAY_BEFORE) is Decision.SEND_LATE
    assert late_decision(DAY_BEFORE, back, ALWAYS, STARTS, None) is Decision.SEND_LATE


def test_no_reminder_goes_once_what_it_is_about_has_begun() -> None:
    back = STARTS + timedelta(minutes=5)
    assert late_decision(HOUR_BEFORE, back, ALWAYS, STARTS, HOUR_BEFORE) is Decision.TOO_LATE
    assert late_decision(DAY_BEFORE, back, ALWAYS, STARTS, HOUR_BEFORE) is Decision.TOO_LATE
    assert late_decision(HOUR_BEFORE, STARTS, ALWAYS, STARTS, None) is Decision.TOO_LATE


def test_an_earlier_reminder_of_the_same_thing_does_not_supersede_a_later_one() -> None:
    on_time = HOUR_BEFORE + timedelta(minutes=1)
    assert late_decision(HOUR_BEFORE, on_time, ALWAYS, STARTS, DAY_BEFORE) is Decision.SEND
    assert late_decision(HOUR_BEFORE, on_time, ALWAYS, STARTS, HOUR_BEFORE) is Decision.SEND


def test_a_kind_relevant_for_a_while_is_dropped_after_it() -> None:
    policy = LatePolicy(relevant_for=timedelta(hours=1))
    assert late_decision(DAY_BEFORE, DAY_BEFORE + timedelta(hours=2), policy, None) is (
        Decision.TOO_LATE
    )
