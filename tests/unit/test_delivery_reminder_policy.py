"""Late reminders per kind, and the periods of the charter's recurring duties (art. 27, 33)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.reminders.obligations import fund_report, obligations, quarterly_meeting
from bot.reminders.policy import Decision, LatePolicy, late_decision

DUE = datetime(2026, 11, 25, 2, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def test_on_time_late_and_too_late() -> None:
    policy = LatePolicy(on_time=timedelta(minutes=5), relevant_for=HOUR)
    assert late_decision(DUE, DUE + timedelta(minutes=4), policy, None) is Decision.SEND
    assert late_decision(DUE, DUE + timedelta(minutes=30), policy, None) is Decision.SEND_LATE
    assert late_decision(DUE, DUE + 2 * HOUR, policy, None) is Decision.TOO_LATE


def test_a_kind_that_always_matters_is_sent_however_late_until_it_expires() -> None:
    policy = LatePolicy()
    month = timedelta(days=30)
    assert late_decision(DUE, DUE + month, policy, None) is Decision.SEND_LATE
    assert late_decision(DUE, DUE + month, policy, DUE + 2 * month) is Decision.SEND_LATE
    assert late_decision(DUE, DUE + month, policy, DUE + month) is Decision.TOO_LATE


def local(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_art27_reminds_in_the_last_month_of_each_quarter() -> None:
    assert quarterly_meeting(local(2027, 2, 28, 23)) is None
    march = quarterly_meeting(local(2027, 3, 1, 9))
    assert march is not None and march.key == "art27:2027-Q1"
    assert (march.due_at, march.expires_at) == (local(2027, 3, 1, 9), local(2027, 4, 1, 0))
    assert march.payload["last_day"] == "2027-03-31"
    december = quarterly_meeting(local(2027, 12, 31, 23))
    assert december is not None and december.expires_at == local(2028, 1, 1, 0)
    assert quarterly_meeting(local(2027, 12, 1, 8)) is None  # before 09:00
    assert quarterly_meeting(local(2027, 4, 1, 0)) is None


def test_art33_reminds_of_last_years_report_from_mid_january_to_march() -> None:
    assert fund_report(local(2027, 1, 15, 8)) is None
    january = fund_report(local(2027, 1, 15, 9))
    assert january is not None
    assert (january.key, january.payload) == ("art33:2026", {"year": 2026})
    assert fund_report(local(2027, 3, 31, 23)) is not None
    assert fund_report(local(2027, 4, 1, 0)) is None


def test_each_duty_is_checked_when_its_period_opens() -> None:
    for obligation in obligations():
        month = int(obligation.cron["month"].split(",")[0])
        opens = local(2027, month, int(obligation.cron["day"]), int(obligation.cron["hour"]))
        assert obligation.occurrence(opens) is not None, obligation.name
        assert obligation.occurrence(opens - timedelta(minutes=1)) is None, obligation.name
