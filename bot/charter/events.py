"""Event rules: who may sign up when, places and the waitlist, check-in (art. 7, 13(2), 16(2))."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import local_date

# Settings (to move to Settings): the charter sets none of these numbers.
OFFER_HOURS = 24  # a place freed for the waitlist is held this long for the first in line
REMINDERS_BEFORE = {"day": timedelta(days=1), "hour": timedelta(hours=1)}  # before the start
CHECKIN_OPENS_BEFORE = timedelta(hours=2)  # attendees may check in from this long before
CHECKIN_CODE_DIGITS = 6
CHECKIN_MAX_ATTEMPTS = 5  # wrong codes one person may send for one event
MAX_PER_UNIT = 50


class SignupRefusal(enum.StrEnum):
    CLOSED = "closed"  # cancelled, closed, or already begun
    MEMBERS_FIRST = "members_first"  # art. 13(2): the members-first window is still open
    MEMBERS_ONLY = "members_only"  # guests may not sign up at all
    # art. 15(3): the person's unit is suspended, so they are refused as a guest would be,
    # but told the real reason — with the guests' date, or that guests may not sign up at all
    SUSPENDED_UNTIL = "suspended_until"
    SUSPENDED = "suspended"
    UNIT_LIMIT = "unit_limit"  # the unit already sends as many people as allowed


@dataclass(frozen=True)
class EventFields:
    """What the secretariat sets on an event; times are aware datetimes."""

    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int | None  # None: no limit
    members_until: datetime | None  # art. 13(2): until then only member units sign up
    guests_allowed: bool  # whether people of no member unit may sign up after the window
    per_unit: int  # how many people one unit may send


class FieldProblem(enum.StrEnum):
    ENDS_BEFORE_START = "ends_before_start"
    IN_THE_PAST = "in_the_past"
    WINDOW_AFTER_START = "window_after_start"
    BAD_CAPACITY = "bad_capacity"
    BAD_PER_UNIT = "bad_per_unit"


def fields_problem(fields: EventFields, now: datetime) -> FieldProblem | None:
    """Art. 7: an event the center organises has a sensible time, window and size."""
    problem = times_problem(fields.starts_at, fields.ends_at, fields.members_until, now)
    if problem is not None:
        return problem
    if fields.capacity is not None and fields.capacity < 1:
        return FieldProblem.BAD_CAPACITY
    if not 1 <= fields.per_unit <= MAX_PER_UNIT:
        return FieldProblem.BAD_PER_UNIT
    return None


def times_problem(
    starts_at: datetime, ends_at: datetime, members_until: datetime | None, now: datetime
) -> FieldProblem | None:
    """Art. 7, 13(2): the event lies ahead, and the members-first window closes by its start."""
    if ends_at <= starts_at:
        return FieldProblem.ENDS_BEFORE_START
    if starts_at <= now:
        return FieldProblem.IN_THE_PAST
    if members_until is not None and members_until > starts_at:
        return FieldProblem.WINDOW_AFTER_START
    return None


def in_members_window(now: datetime, members_until: datetime | None) -> bool:
    """Art. 13(2): members have priority — until `members_until` only they may sign up."""
    return members_until is not None and now < members_until


def signup_refusal(
    now: datetime,
    fields: EventFields,
    *,
    open_: bool,
    has_member_rights: bool,
    unit_signups: int | None,
    unit_suspended: bool = False,
) -> SignupRefusal | None:
    """Art. 13(2): why this person may not sign up now, or None.

    A person of no member unit — a guest, or a contact of a suspended unit (art. 15(3)) —
    waits for the members-first window to end, and then only if guests are allowed; a
    suspended unit's contact is told that the suspension is why.
    `unit_signups` counts the unit's people already signed up (None: no unit).
    """
    if not open_ or now >= fields.starts_at:
        return SignupRefusal.CLOSED
    if not has_member_rights:
        refusal = _guest_refusal(now, fields)
        if refusal is not None and unit_suspended:
            return _SUSPENDED[refusal]
        if refusal is not None:
            return refusal
    if unit_signups is not None and unit_signups >= fields.per_unit:
        return SignupRefusal.UNIT_LIMIT
    return None


_SUSPENDED = {
    SignupRefusal.MEMBERS_FIRST: SignupRefusal.SUSPENDED_UNTIL,
    SignupRefusal.MEMBERS_ONLY: SignupRefusal.SUSPENDED,
}


def _guest_refusal(now: datetime, fields: EventFields) -> SignupRefusal | None:
    """Art. 13(2): a members-only event never opens to guests; any other, after the window."""
    if not fields.guests_allowed:
        return SignupRefusal.MEMBERS_ONLY
    if in_members_window(now, fields.members_until):
        return SignupRefusal.MEMBERS_FIRST
    return None


def gets_place(capacity: int | None, taken: int, waiting: int) -> bool:
    """Art. 7: a newcomer gets a place while one is free and nobody waits before them."""
    return capacity is None or (taken < capacity and waiting == 0)


def places_to_offer(capacity: int | None, taken: int, waiting: int) -> int:
    """Art. 7: free places go to the waitlist in order, one offer per free place."""
    if capacity is None:
        return waiting
    return max(0, min(capacity - taken, waiting))


def free_places(capacity: int | None, taken: int) -> int | None:
    return None if capacity is None else max(0, capacity - taken)


def offer_expires_at(now: datetime, starts_at: datetime, hours: int = OFFER_HOURS) -> datetime:
    """Art. 7: a freed place is held for the first in line, but never past the start."""
    return min(now + timedelta(hours=hours), starts_at)


def may_change_capacity(capacity: int | None, taken: int) -> bool:
    """Art. 7: a smaller room may not take away places already given."""
    return capacity is None or capacity >= taken


def reminders_due(
    starts_at: datetime, now: datetime, before: dict[str, timedelta] | None = None
) -> dict[str, datetime]:
    """Art. 7: the reminders still ahead for someone signed up, by name."""
    before = REMINDERS_BEFORE if before is None else before
    due = {name: starts_at - delta for name, delta in before.items()}
    return {name: at for name, at in due.items() if at > now}


def check_in_open(now: datetime, starts_at: datetime, ends_at: datetime) -> bool:
    """Art. 16(2): attendance is taken from a little before the start to the end of the day."""
    return starts_at - CHECKIN_OPENS_BEFORE <= now <= ends_at + timedelta(hours=12)


def participation_day(starts_at: datetime, timezone: str) -> date:
    """Art. 16(2): attendance counts on the event's own calendar day."""
    return local_date(starts_at, ZoneInfo(timezone))
