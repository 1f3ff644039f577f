"""Joint meeting rules: seats, quorum, passing, notice, absences, quarterly meetings, terms
(charter art. 12, 19, 20, 27, 38).

"以上" in the charter includes the number itself (Civil Code art. 1259): "三分之二以上" is
two-thirds or more, "半数以上" half or more. Thresholds are exact fractions, never floats.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction

from storage.meetings_models import Choice, Presence
from storage.models import UnitTier

SEATS_PER_TIER = {UnitTier.DIRECTOR: 2, UnitTier.DEPUTY_DIRECTOR: 1}  # art. 19: 可推荐2人 / 1名
QUORUM_SHARE = Fraction(2, 3)  # art. 20: 三分之二以上的主任、副主任(或其代表)出席方能召开
PASS_SHARE = Fraction(1, 2)  # art. 20: 决议须经到会成员半数以上表决通过
NOTICE_DAYS = 15  # art. 20: 须提前15日将会议的议题通知
ABSENCES_TO_LOSE_SEAT = 3  # art. 19: 连续三次无故不参加者，自动失去主任联席会资格
TERM_YEARS = 5  # art. 12: 每5年由主任联席会选举产生下一届主任、副主任单位
TERM_REMINDER_DAYS = 90  # not in the charter: time to prepare the election before a term ends
VOTES_CHANGEABLE = True  # an open-ballot vote may be changed until the motion closes
MEETING_REMINDERS = (timedelta(days=1), timedelta(hours=1))  # before the meeting starts


def seats_allowed(tier: UnitTier) -> int:
    """Art. 19: a director unit names up to 2 persons to the joint meeting, a deputy 1.

    Member units have no seat.
    """
    return SEATS_PER_TIER.get(tier, 0)


def quorum_reached(present_units: int, all_units: int) -> bool:
    """Art. 20: the meeting stands when two-thirds or more of the director and deputy-director
    units are present, each by at least one of its seat holders (or their representatives).

    6 of 9 stands, 5 of 9 does not; with no such units there is no meeting at all.
    """
    if not 0 <= present_units <= all_units:
        raise ValueError("present units must be between 0 and all units")
    return all_units > 0 and Fraction(present_units, all_units) >= QUORUM_SHARE


def motion_passes(votes_for: int, present: int) -> bool:
    """Art. 20: a resolution passes with the votes of half or more of the members present.

    "Present" are the seat holders checked in (representatives in their place); votes
    against, abstentions and members present who did not vote all count as not for. The same
    rule decides charter amendments (art. 38) and elections (art. 12).
    """
    if not 0 <= votes_for <= present:
        raise ValueError("votes for must be between 0 and those present")
    return present > 0 and Fraction(votes_for, present) >= PASS_SHARE


def earliest_meeting_date(today: date) -> date:
    """Art. 20: the agenda goes out 15 days ahead; notice today allows a meeting this day.

    The day of the notice is not counted (Civil Code art. 201): notice on 25 November allows
    a meeting on 10 December, not on 9 December.
    """
    return today + timedelta(days=NOTICE_DAYS)


def notice_suffices(meeting_day: date, today: date) -> bool:
    """Art. 20: whether a meeting on `meeting_day`, announced `today`, has its 15 days."""
    return meeting_day >= earliest_meeting_date(today)


def before_start(now: datetime, starts_at: datetime, started: bool) -> bool:
    """Art. 20: leave and representatives are arranged before the meeting begins."""
    return not started and now < starts_at


def seat_lost(attendance_history: Sequence[Presence]) -> bool:
    """Art. 19: three absences without leave in a row lose the seat ("连续三次无故不参加").

    `attendance_history` is the seat's record at its meetings, oldest first. Only presence
    ends a run. An excused absence (leave asked before the meeting) neither counts — it is
    not "无故" — nor resets the run: absent, excused, absent, absent loses the seat.
    """
    run = 0
    for presence in reversed(attendance_history):
        if presence is Presence.PRESENT:
            break
        run += presence is Presence.ABSENT
    return run >= ABSENCES_TO_LOSE_SEAT


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter `day` is in."""
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    after = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def quarter_needs_meeting(today: date, meeting_days: Iterable[date]) -> bool:
    """Art. 27: the leadership meets at least once a quarter; True when this quarter has
    no meeting held or scheduled (cancelled ones are not passed in)."""
    first, last = quarter_of(today)
    return not any(first <= day <= last for day in meeting_days)


def term_ends(since: date, years: int = TERM_YEARS) -> date:
    """Art. 12: a director or deputy-director unit serves five years from its appointment."""
    try:
        return since.replace(year=since.year + years)
    except ValueError:  # 29 February
        return since.replace(year=since.year + years, day=28)


def term_reminder_on(since: date) -> date:
    """Art. 12: the secretariat is reminded this long before the term ends, to hold the
    election of the next directors and deputy directors."""
    return term_ends(since) - timedelta(days=TERM_REMINDER_DAYS)


def ballot_receipt(motion_id: int, choice: Choice, nonce: str) -> str:
    """A secret ballot's receipt: a hash of the ballot with a nonce only the voter is given.

    Published beside its choice after the vote, it lets each voter find their ballot in the
    tally while nobody else can tell whose it is.
    """
    return hashlib.sha256(f"dtpc-ballot:{motion_id}:{choice}:{nonce}".encode()).hexdigest()


def receipt_verifies(
    motion_id: int,
    choice: Choice,
    nonce: str,
    receipt: str,
    published: Iterable[tuple[str, Choice]],
) -> bool:
    """Whether the voter's ballot is the receipt given, and is counted as cast."""
    if not hmac.compare_digest(ballot_receipt(motion_id, choice, nonce), receipt):
        return False
    return (receipt, choice) in set(published)


def tally_digest(published: Iterable[tuple[str, Choice]]) -> str:
    """A fingerprint of the published list of receipts, kept in the audit log."""
    lines = sorted(f"{receipt} {choice}" for receipt, choice in published)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
