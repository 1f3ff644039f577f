"""The .ics files, parsed back: the event's time zone, a stable UID, updates and cancellation."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.calendar import CalendarEntry, event_uid, file_name, ics

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENTRY = CalendarEntry(
    event_id=7,
    title="有色金属数字化转型研讨会",
    description="议程：\n1. 开幕; 2. 交流, 讨论",
    starts_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),  # 09:00 in Shanghai
    ends_at=datetime(2026, 12, 1, 3, 30, tzinfo=UTC),
    timezone="Asia/Shanghai",
    place="https://meeting.example.cn/j/123",
    sequence=2,
)
STAMP = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def parse(content: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_times_carry_the_event_time_zone() -> None:
    calendar, event = parse(ics(ENTRY, STAMP))
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == ENTRY.starts_at and end == ENTRY.ends_at  # the same instants
    assert (start.hour, start.minute, end.hour, end.minute) == (9, 0, 11, 30)  # local wall time
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Shanghai"  # so any app can place it without its own tz data


def test_text_link_and_identity_survive_the_round_trip() -> None:
    calendar, event = parse(ics(ENTRY, STAMP))
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    assert str(event["SUMMARY"]) == ENTRY.title
    assert str(event["DESCRIPTION"]) == ENTRY.description  # commas, semicolons, newlines kept
    assert str(event["LOCATION"]) == ENTRY.place
    assert str(event["URL"]) == ENTRY.place
    assert str(event["UID"]) == event_uid(7) and event["SEQUENCE"] == 2
    assert event["STATUS"] == "CONFIRMED"
    assert file_name(ENTRY) == "event-7.ics"


def test_a_place_without_a_link_has_no_url() -> None:
    room = CalendarEntry(**{**ENTRY.__dict__, "place": "北京市海淀区 会议室 A"})
    _, event = parse(ics(room, STAMP))
    assert "URL" not in event and str(event["LOCATION"]) == "北京市海淀区 会议室 A"


def test_cancellation_removes_the_same_entry() -> None:
    calendar, event = parse(ics(ENTRY, STAMP, cancelled=True))
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert str(event["UID"]) == event_uid(7)
