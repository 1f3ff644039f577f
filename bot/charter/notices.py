"""Who a notice goes to, and the rules of acknowledgement (charter art. 13(1), 15, 16(2), 17)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.charter.membership import HAS_RIGHTS, ON_ROSTER
from storage.models import Role, UnitStatus, UnitTier

CURRENT_FOR = timedelta(days=30)  # a notice without a deadline stays current this long
MAX_REMINDERS = 5


class AudienceKind(enum.StrEnum):
    MEMBERS = "members"  # the contacts of every member unit
    LEADERSHIP = "leadership"  # the joint directors' meeting (art. 19)
    EXPERTS = "experts"  # the expert committee (art. 21)
    DIRECTORS = "directors"  # contacts of director and deputy-director units (art. 12)
    SUB_SECTOR = "sub_sector"
    REGION = "region"
    UNITS = "units"  # contacts of units the secretariat names
    EVERYONE = "everyone"  # everyone who has started the bot


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    value: str = ""  # the sub-sector or region
    unit_ids: frozenset[int] = frozenset()


BY_ROLE = {AudienceKind.LEADERSHIP: Role.LEADERSHIP, AudienceKind.EXPERTS: Role.EXPERT}
DIRECTOR_TIERS = frozenset({UnitTier.DIRECTOR, UnitTier.DEPUTY_DIRECTOR})


def unit_in_audience(
    audience: Audience,
    unit_id: int,
    status: UnitStatus,
    tier: UnitTier,
    sub_sectors: Sequence[str],
    region: str,
) -> bool:
    """Art. 13(1), 15, 16(5): whether a unit's contacts receive a notice to `audience`.

    Receiving the center's information is a member right (art. 13(1)), so the member
    audiences — all members, director units, a sub-sector, a region — take only units whose
    rights are active: a suspended unit (art. 15) and a unit that left (art. 16(5)) are out.
    Units the secretariat names one by one get it if they are on the roster (art. 17),
    suspended ones included: the secretariat may need to write to exactly them.
    Role audiences (leadership, experts) and everyone are not about units at all.
    """
    kind = audience.kind
    if kind is AudienceKind.UNITS:
        return unit_id in audience.unit_ids and status in ON_ROSTER
    if status not in HAS_RIGHTS:
        return False
    if kind is AudienceKind.MEMBERS:
        return True
    if kind is AudienceKind.DIRECTORS:
        return tier in DIRECTOR_TIERS
    if kind is AudienceKind.SUB_SECTOR:
        return audience.value in sub_sectors
    if kind is AudienceKind.REGION:
        return region == audience.value
    return False


# A unit as `unit_in_audience` sees it: id, status, tier, sub-sectors, region.
UnitFacts = tuple[int, UnitStatus, UnitTier, Sequence[str], str]


def reaches(
    audience: Audience,
    roles: frozenset[Role],
    units: Iterable[UnitFacts],
    seat_status: UnitStatus | None,
) -> bool:
    """Art. 13(1), 15, 16(5): whether a notice to `audience` is for this person now.

    Asked again at every reading (/notices, the button that reopens a notice, the
    acknowledgement), so a notice follows the reader's standing today, not the one they had
    when it was sent: an expelled contact reads no member notice. Everyone's notices reach
    everyone. A role audience takes the holders of the role, and a seat holder's standing is
    that of the unit the seat is held for (a leadership role with no seat is personal). The
    unit audiences take the contacts of the units in them now (`unit_in_audience`).
    """
    kind = audience.kind
    if kind is AudienceKind.EVERYONE:
        return True
    if kind in BY_ROLE:
        role = BY_ROLE[kind]
        seat_stands = seat_status is None or seat_status in HAS_RIGHTS
        return role in roles and (role is not Role.LEADERSHIP or seat_stands)
    return any(unit_in_audience(audience, *unit) for unit in units)


def is_unit_audience(kind: AudienceKind) -> bool:
    """Whether the audience is made of units' contacts (so acknowledgements count per unit)."""
    return kind not in BY_ROLE and kind is not AudienceKind.EVERYONE


def deadline_problem(deadline: datetime, send_at: datetime) -> str | None:
    """Art. 17: an acknowledgement deadline must leave the recipients time: after sending."""
    if deadline <= send_at:
        return "deadline_before_sending"
    return None


def reminder_problem(
    times: Sequence[datetime], send_at: datetime, deadline: datetime
) -> str | None:
    """Reminders of an unacknowledged notice fall after it goes and no later than its deadline,
    at most `MAX_REMINDERS` of them (art. 16(2): the point is participation, not nagging)."""
    if len(times) > MAX_REMINDERS:
        return "too_many"
    if any(not send_at < moment <= deadline for moment in times):
        return "outside_window"
    return None


def to_remind(acknowledged: Iterable[tuple[int, datetime | None]]) -> list[int]:
    """Art. 16(2): only those who have not acknowledged are reminded (recipient ids)."""
    return [recipient for recipient, at in acknowledged if at is None]


def is_current(
    sent_at: datetime, deadline: datetime | None, now: datetime, window: timedelta = CURRENT_FOR
) -> bool:
    """Whether a notice still concerns someone who joins now: until its deadline, or for
    `window` after it went when it has none (art. 13(1): members get the center's news)."""
    if deadline is not None:
        return now < deadline
    return now < sent_at + window


def counts_as_participation(unit_id: int | None, first: bool) -> bool:
    """Art. 16(2): a unit's first acknowledgement of a notice is an act of participation."""
    return unit_id is not None and first
