"""Membership rules: joining, rights, discipline, withdrawal (charter art. 10–17)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, timedelta

from storage.models import UnitStatus

WITHDRAWAL_NOTICE_DAYS = 30  # art. 16(1): 须提前三十日书面通知
INACTIVITY_YEARS = 2  # art. 16(2): 连续2年不履行成员义务
INACTIVITY_WARNING_DAYS = 60

HAS_RIGHTS = frozenset({UnitStatus.MEMBER, UnitStatus.WITHDRAWING})
DEPARTED = frozenset({UnitStatus.WITHDRAWN, UnitStatus.EXPELLED})
ON_ROSTER = frozenset({UnitStatus.MEMBER, UnitStatus.SUSPENDED, UnitStatus.WITHDRAWING})


class Discipline(enum.StrEnum):
    """Art. 15's four measures, mildest first."""

    WARNING = "warning"
    CRITICISM = "criticism"  # 通报批评: announced to members
    SUSPENSION = "suspension"  # 暂停行使成员单位权利: until lifted
    EXPULSION = "expulsion"  # 除名


class DoorRefusal(enum.StrEnum):
    ALREADY_MEMBER = "already_member"
    PENDING = "pending"
    MAY_NOT_REJOIN = "may_not_rejoin"


def door_refusal(
    unit_status: UnitStatus | None, has_pending_application: bool
) -> DoorRefusal | None:
    """Art. 11, 16(6): why an application with this credit code is refused, or None.

    A unit that withdrew, lost its licence or was expelled may not apply again (art. 16(6)).
    """
    if unit_status in DEPARTED:
        return DoorRefusal.MAY_NOT_REJOIN
    if unit_status in ON_ROSTER:
        return DoorRefusal.ALREADY_MEMBER
    if has_pending_application:
        return DoorRefusal.PENDING
    return None


def has_member_rights(status: UnitStatus) -> bool:
    """Art. 13, 15(3), 16(5): rights hold for members, also during the withdrawal notice.

    Suspension stops them until lifted; on leaving they end at once.
    """
    return status in HAS_RIGHTS


def status_after_discipline(measure: Discipline, status: UnitStatus) -> UnitStatus:
    """Art. 15: suspension and expulsion change the unit's status; the others only record."""
    if status in DEPARTED:
        raise ValueError("a unit that has left cannot be disciplined")
    if measure is Discipline.SUSPENSION:
        return UnitStatus.SUSPENDED
    if measure is Discipline.EXPULSION:
        return UnitStatus.EXPELLED
    return status


def withdrawal_effective_on(notified_on: date, notice_days: int = WITHDRAWAL_NOTICE_DAYS) -> date:
    """Art. 16(1): membership ends thirty days after the written notice."""
    return notified_on + timedelta(days=notice_days)


def inactivity_deadline(last_participation: date, years: int = INACTIVITY_YEARS) -> date:
    """Art. 16(2): two consecutive years without participation mean withdrawal on this day."""
    try:
        return last_participation.replace(year=last_participation.year + years)
    except ValueError:  # 29 February
        return last_participation.replace(year=last_participation.year + years, day=28)


def inactivity_warning_on(
    last_participation: date, warning_days: int = INACTIVITY_WARNING_DAYS
) -> date:
    """Art. 16(2): the unit is warned this many days before the deadline."""
    return inactivity_deadline(last_participation) - timedelta(days=warning_days)


def last_participation(joined_on: date, activity: Iterable[date]) -> date:
    """Art. 16(2): the clock starts at joining and restarts at every participation."""
    return max([joined_on, *activity])


def may_remove_contact(remaining_contacts: int) -> bool:
    """Art. 14(8): a member unit always keeps at least one contact person."""
    return remaining_contacts >= 1
