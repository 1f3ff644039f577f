"""The event rules as plain functions: the members-first window, places, offers (art. 13(2))."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.charter import events as rules
from bot.charter.events import EventFields, FieldProblem, SignupRefusal

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
EVENT = EventFields(
    title="数字化转型研讨会",
    description="",
    starts_at=NOW + timedelta(days=6),
    ends_at=NOW + timedelta(days=6, hours=3),
    place="北京",
    capacity=30,
    members_until=NOW + timedelta(days=3),
    guests_allowed=True,
    per_unit=2,
)


def refusal(
    at: datetime,
    fields: EventFields = EVENT,
    *,
    member: bool = True,
    unit_signups: int | None = 0,
    open_: bool = True,
) -> SignupRefusal | None:
    return rules.signup_refusal(
        at, fields, open_=open_, has_member_rights=member, unit_signups=unit_signups
    )


def test_members_first_window_art_13_2() -> None:
    assert refusal(NOW, member=True) is None
    assert refusal(NOW, member=False, unit_signups=None) is SignupRefusal.MEMBERS_FIRST
    last_minute = EVENT.members_until - timedelta(seconds=1)
    assert refusal(last_minute, member=False, unit_signups=None) is SignupRefusal.MEMBERS_FIRST
    assert refusal(EVENT.members_until, member=False, unit_signups=None) is None


def test_suspended_unit_waits_like_a_guest_art_15_3() -> None:
    # a suspended unit has no member rights, but still counts against its own limit
    assert refusal(NOW, member=False, unit_signups=0) is SignupRefusal.MEMBERS_FIRST
    after = EVENT.members_until + timedelta(hours=1)
    assert refusal(after, member=False, unit_signups=0) is None
    assert refusal(after, member=False, unit_signups=2) is SignupRefusal.UNIT_LIMIT


def test_members_only_event_never_opens_to_guests() -> None:
    members_only = replace(EVENT, guests_allowed=False)
    after = EVENT.members_until + timedelta(days=1)
    assert refusal(after, members_only, member=False, unit_signups=None) is (
        SignupRefusal.MEMBERS_ONLY
    )
    assert refusal(after, members_only, member=True) is None
    no_window = replace(EVENT, members_until=None)
    assert refusal(NOW, no_window, member=False, unit_signups=None) is None


def test_unit_limit_and_closed() -> None:
    assert refusal(NOW, unit_signups=1) is None
    assert refusal(NOW, unit_signups=2) is SignupRefusal.UNIT_LIMIT
    assert refusal(NOW, open_=False) is SignupRefusal.CLOSED
    assert refusal(EVENT.starts_at) is SignupRefusal.CLOSED


@pytest.mark.parametrize(
    ("capacity", "taken", "waiting", "place", "offers"),
    [
        (None, 500, 0, True, 0),
        (3, 2, 0, True, 0),
        (3, 3, 0, False, 0),
        (3, 2, 1, False, 1),  # someone waits: the free place is theirs, not the newcomer's
        (5, 2, 1, False, 1),
        (5, 2, 7, False, 3),
        (None, 2, 4, True, 4),  # the limit was lifted: everyone waiting is offered a place
    ],
)
def test_places_and_waitlist(
    capacity: int | None, taken: int, waiting: int, place: bool, offers: int
) -> None:
    assert rules.gets_place(capacity, taken, waiting) is place
    assert rules.places_to_offer(capacity, taken, waiting) == offers


def test_offer_is_held_for_a_day_but_not_past_the_start() -> None:
    assert rules.offer_expires_at(NOW, NOW + timedelta(days=3)) == NOW + timedelta(hours=24)
    soon = NOW + timedelta(hours=5)
    assert rules.offer_expires_at(NOW, soon) == soon


def test_capacity_may_not_drop_below_places_taken() -> None:
    assert rules.may_change_capacity(10, 10)
    assert not rules.may_change_capacity(9, 10)
    assert rules.may_change_capacity(None, 10)
    assert rules.free_places(10, 12) == 0 and rules.free_places(None, 3) is None


def test_reminders_only_ahead() -> None:
    start = NOW + timedelta(hours=10)
    assert rules.reminders_due(start, NOW) == {"hour": start - timedelta(hours=1)}
    later = NOW + timedelta(days=3)
    assert set(rules.reminders_due(later, NOW)) == {"day", "hour"}


def test_field_problems() -> None:
    assert rules.fields_problem(EVENT, NOW) is None
    backwards = replace(EVENT, ends_at=EVENT.starts_at)
    assert rules.fields_problem(backwards, NOW) is FieldProblem.ENDS_BEFORE_START
    assert rules.fields_problem(EVENT, EVENT.starts_at) is FieldProblem.IN_THE_PAST
    late_window = replace(EVENT, members_until=EVENT.starts_at + timedelta(minutes=1))
    assert rules.fields_problem(late_window, NOW) is FieldProblem.WINDOW_AFTER_START
    assert rules.fields_problem(replace(EVENT, capacity=0), NOW) is FieldProblem.BAD_CAPACITY
    assert rules.fields_problem(replace(EVENT, per_unit=0), NOW) is FieldProblem.BAD_PER_UNIT


def test_check_in_window_and_participation_day_art_16_2() -> None:
    start, end = EVENT.starts_at, EVENT.ends_at
    assert not rules.check_in_open(start - timedelta(hours=3), start, end)
    assert rules.check_in_open(start - timedelta(hours=1), start, end)
    assert rules.check_in_open(end + timedelta(hours=1), start, end)
    # 2026-12-01 17:00 UTC is already 2 December in Shanghai
    evening = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert rules.participation_day(evening, "Asia/Shanghai") == date(2026, 12, 2)
