"""The charter's joint-meeting rules as plain functions (art. 12, 19, 20, 27)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from bot.charter import meetings as rules
from storage.meetings_models import Choice, Presence
from storage.models import UnitTier

P, E, A = Presence.PRESENT, Presence.EXCUSED, Presence.ABSENT


def test_seats_allowed_art_19() -> None:
    assert rules.seats_allowed(UnitTier.DIRECTOR) == 2
    assert rules.seats_allowed(UnitTier.DEPUTY_DIRECTOR) == 1
    assert rules.seats_allowed(UnitTier.MEMBER) == 0


@pytest.mark.parametrize(
    ("present", "total", "stands"),
    [
        (6, 9, True),  # exactly two-thirds: 以上 includes the number (Civil Code art. 1259)
        (5, 9, False),
        (9, 9, True),
        (2, 3, True),
        (1, 3, False),
        (7, 10, True),
        (6, 10, False),  # 0.6 < 2/3
        (0, 0, False),  # no director units: no meeting
        (1, 1, True),
    ],
)
def test_quorum_two_thirds_or_more_art_20(present: int, total: int, stands: bool) -> None:
    assert rules.quorum_reached(present, total) is stands


def test_quorum_is_exact_where_floats_are_not() -> None:
    # 2/3 as a float is 0.666…6 < 2/3: a float comparison could refuse 200 of 300.
    assert rules.quorum_reached(200, 300)
    assert not rules.quorum_reached(199, 300)
    assert rules.QUORUM_SHARE == Fraction(2, 3) and isinstance(rules.PASS_SHARE, Fraction)


def test_quorum_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        rules.quorum_reached(10, 9)
    with pytest.raises(ValueError):
        rules.quorum_reached(-1, 9)


@pytest.mark.parametrize(
    ("votes_for", "present", "passes"),
    [
        (2, 4, True),  # exactly half: 半数以上 includes half
        (1, 4, False),  # abstentions and votes against count as not for
        (3, 5, True),
        (2, 5, False),
        (1, 1, True),
        (0, 0, False),
        (4, 4, True),
    ],
)
def test_motion_passes_half_or_more_of_those_present_art_20(
    votes_for: int, present: int, passes: bool
) -> None:
    assert rules.motion_passes(votes_for, present) is passes


def test_motion_refuses_more_votes_than_present() -> None:
    with pytest.raises(ValueError):
        rules.motion_passes(5, 4)


def test_fifteen_days_notice_art_20() -> None:
    today = date(2026, 11, 25)
    assert rules.earliest_meeting_date(today) == date(2026, 12, 10)
    assert rules.notice_suffices(date(2026, 12, 10), today)
    assert not rules.notice_suffices(date(2026, 12, 9), today)
    assert rules.earliest_meeting_date(date(2026, 12, 20)) == date(2027, 1, 4)  # across years


def test_before_start() -> None:
    start = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    assert rules.before_start(start - timedelta(seconds=1), start, started=False)
    assert not rules.before_start(start, start, started=False)
    assert not rules.before_start(start - timedelta(days=1), start, started=True)


@pytest.mark.parametrize(
    ("history", "lost"),
    [
        ([A, A, A], True),  # the third unexcused absence in a row
        ([A, A], False),
        ([A, A, P], False),
        ([A, P, A, A], False),  # presence ends the run
        ([P, A, A, A], True),
        ([A, E, A, A], True),  # an excused absence resets nothing...
        ([A, A, E], False),  # ...and does not count
        ([E, E, E], False),
        ([A, E, E, A, E, A], True),
        ([], False),
    ],
)
def test_three_unexcused_absences_in_a_row_lose_the_seat_art_19(
    history: list[Presence], lost: bool
) -> None:
    assert rules.seat_lost(history) is lost


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 1, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        (date(2026, 5, 17), (date(2026, 4, 1), date(2026, 6, 30))),
        (date(2026, 9, 30), (date(2026, 7, 1), date(2026, 9, 30))),
        (date(2026, 12, 31), (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_quarter_of(day: date, quarter: tuple[date, date]) -> None:
    assert rules.quarter_of(day) == quarter


def test_quarter_needs_meeting_art_27() -> None:
    today = date(2026, 12, 1)
    assert rules.quarter_needs_meeting(today, [])
    assert rules.quarter_needs_meeting(today, [date(2026, 9, 30), date(2027, 1, 1)])
    assert not rules.quarter_needs_meeting(today, [date(2026, 10, 1)])
    assert not rules.quarter_needs_meeting(today, [date(2026, 12, 31)])  # scheduled later on


def test_term_ends_after_five_years_art_12() -> None:
    assert rules.term_ends(date(2026, 11, 25)) == date(2031, 11, 25)
    assert rules.term_ends(date(2028, 2, 29)) == date(2033, 2, 28)
    assert rules.term_reminder_on(date(2026, 11, 25)) == date(2031, 8, 27)


def test_secret_ballot_receipt_verifies() -> None:
    nonce = "3f" * 16
    receipt = rules.ballot_receipt(7, Choice.FOR, nonce)
    published = [
        (receipt, Choice.FOR),
        (rules.ballot_receipt(7, Choice.AGAINST, "x"), Choice.AGAINST),
    ]
    assert len(receipt) == 64 and receipt == rules.ballot_receipt(7, Choice.FOR, nonce)
    assert receipt != rules.ballot_receipt(7, Choice.AGAINST, nonce)  # the choice is bound
    assert receipt != rules.ballot_receipt(8, Choice.FOR, nonce)  # and the motion
    assert rules.receipt_verifies(7, Choice.FOR, nonce, receipt, published)
    assert not rules.receipt_verifies(7, Choice.AGAINST, nonce, receipt, published)  # lied
    assert not rules.receipt_verifies(8, Choice.FOR, nonce, receipt, published)  # other motion
    assert not rules.receipt_verifies(7, Choice.FOR, nonce, receipt, published[1:])  # dropped
    tampered = [(receipt, Choice.AGAINST), *published[1:]]
    assert not rules.receipt_verifies(7, Choice.FOR, nonce, receipt, tampered)  # recounted
    assert rules.tally_digest(published) == rules.tally_digest(list(reversed(published)))
    assert rules.tally_digest(published) != rules.tally_digest(tampered)
