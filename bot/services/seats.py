"""Seats on the joint meeting (art. 19) and the terms of the units behind them (art. 12).

The secretariat records who each director or deputy-director unit names; a seat holder holds
the leadership role for as long as the seat lasts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter import meetings as rules
from bot.charter.membership import DEPARTED, HAS_RIGHTS
from bot.errors import DomainError
from bot.i18n import N_
from bot.labels import TIERS
from bot.protocol import Reply
from bot.reminders.kinds import Firing, ReminderKind
from storage import audit, people, reminders, units
from storage import meetings as stored
from storage.meetings_models import Seat
from storage.models import Person, Role, Unit

NO_SEATS = N_(
    "Only a director or deputy-director unit whose rights are active has seats (art. 19)."
)
SEATS_FULL = N_(
    "{unit} already names as many persons as art. 19 allows ({count}). Replace one instead."
)
ALREADY_SEATED = N_("This person already holds a seat on the joint meeting.")
NO_SUCH_SEAT = N_("This seat is no longer held.")
TERM_END = "art12_term_end"
TERM_END_LABEL = N_("end of a director's term (art. 12)")
TERM_END_TEXT = N_(
    "Article 12: the term of {unit} as a {tier} ends on {day}. The joint meeting elects the "
    "next directors and deputy directors; please schedule the election with /newmeeting."
)
REMINDER_HOUR = time(9)  # local time a term reminder falls due
SEATED = (sorted(rules.SEATS_PER_TIER), sorted(HAS_RIGHTS))  # tiers with seats, statuses voting


@dataclass(frozen=True)
class UnitSeats:
    unit: Unit
    seats: list[tuple[Seat, Person]]
    allowed: int


async def seated_units(session: AsyncSession) -> Sequence[Unit]:
    """Director and deputy-director units whose rights are active: art. 20's quorum base."""
    return await stored.seated_units(session, *SEATED)


async def voting_seats(session: AsyncSession) -> Sequence[tuple[Seat, Unit, Person]]:
    """The seats of those units, with unit and holder: who may check in and vote."""
    return await stored.voting_seats(session, *SEATED)


async def board(session: AsyncSession) -> list[UnitSeats]:
    """Every director and deputy-director unit with its seat holders (art. 19)."""
    holders = await voting_seats(session)
    return [
        UnitSeats(unit, [(s, p) for s, u, p in holders if u.id == unit.id], _allowed(unit))
        for unit in await seated_units(session)
    ]


async def add_seat(
    session: AsyncSession,
    unit_id: int,
    telegram_id: int,
    name: str,
    actor_id: int | None,
    now: datetime,
    zone: tzinfo,
) -> tuple[Seat, Person]:
    """Art. 19: records the person a unit names; they get the leadership role and menu."""
    unit = await _seated_unit(session, unit_id)
    allowed = _allowed(unit)
    if len(await stored.active_seats(session, unit.id)) >= allowed:
        raise DomainError(SEATS_FULL, unit=unit.name, count=allowed)
    person = await people.ensure(session, telegram_id, telegram_id, now)
    if await stored.active_seat_of(session, person.id) is not None:
        raise DomainError(ALREADY_SEATED)
    seat = Seat(unit_id=unit.id, person_id=person.id, name=name, since=now, recorded_by=actor_id)
    try:
        async with session.begin_nested():
            session.add(seat)
    except IntegrityError as error:  # the same person seated at the same moment elsewhere
        raise DomainError(ALREADY_SEATED) from error
    await people.grant(session, person.id, Role.LEADERSHIP, actor_id, now)
    await audit.record(session, now, actor_id, "seat.add", f"unit:{unit.id}", person=person.id)
    await schedule_term_reminder(session, unit, now, zone)
    return seat, person


async def replace_seat(
    session: AsyncSession,
    seat_id: int,
    telegram_id: int,
    name: str,
    actor_id: int,
    now: datetime,
    zone: tzinfo,
) -> tuple[Seat, Person, Seat, Person]:
    """Art. 19: the unit names someone else; the former holder loses the role."""
    old, former = await end_seat(session, seat_id, "replaced", actor_id, now)
    new, person = await add_seat(session, old.unit_id, telegram_id, name, actor_id, now, zone)
    return old, former, new, person


async def end_seat(
    session: AsyncSession, seat_id: int, reason: str, actor_id: int | None, now: datetime
) -> tuple[Seat, Person]:
    """Ends a seat; its holder loses the leadership role (and menu) at once."""
    seat = await stored.seat(session, seat_id)
    if seat is None or seat.ended_at is not None:
        raise DomainError(NO_SUCH_SEAT)
    seat.ended_at, seat.ended_by, seat.end_reason = now, actor_id, reason
    await session.flush()
    if await stored.active_seat_of(session, seat.person_id) is None:
        await people.revoke(session, seat.person_id, Role.LEADERSHIP)
    await audit.record(
        session, now, actor_id, "seat.end", f"unit:{seat.unit_id}", seat=seat.id, reason=reason
    )
    person = await session.get(Person, seat.person_id)
    assert person is not None
    return seat, person


async def lose_seats_after_absences(
    session: AsyncSession, seat_ids: list[int], now: datetime
) -> list[tuple[Seat, Person]]:
    """Art. 19: seats whose record ends in three absences without leave in a row are lost."""
    lost = []
    for seat_id in seat_ids:
        if rules.seat_lost(await stored.presence_history(session, seat_id)):
            lost.append(await end_seat(session, seat_id, "absences", None, now))
    return lost


async def reconcile(session: AsyncSession, now: datetime) -> list[tuple[Seat, Person]]:
    """Ends the seats a unit no longer has: it left, is no longer a director or deputy, or
    has more seat holders than its tier allows (the newest go). Suspension keeps seats."""
    ended = []
    for seat in await stored.active_seats(session):
        unit = await units.get(session, seat.unit_id)
        assert unit is not None
        keep = [s.id for s in await stored.active_seats(session, unit.id)][: _allowed(unit)]
        if unit.status in DEPARTED or seat.id not in keep:
            ended.append(await end_seat(session, seat.id, "unit", None, now))
    return ended


async def schedule_term_reminder(
    session: AsyncSession, unit: Unit, now: datetime, zone: tzinfo
) -> None:
    """Art. 12: the secretariat is reminded ahead of the end of the unit's five-year term."""
    if unit.tier_since is None or rules.seats_allowed(unit.tier) == 0:
        return
    due = datetime.combine(rules.term_reminder_on(unit.tier_since), REMINDER_HOUR, zone)
    await reminders.schedule(
        session,
        kind=TERM_END,
        role=Role.SECRETARIAT,
        due_at=max(due, now),
        dedup_key=f"art12:{unit.id}:{unit.tier_since.isoformat()}",
        payload={"unit_id": unit.id, "since": unit.tier_since.isoformat()},
        now=now,
        replace=False,
    )


async def schedule_term_reminders(session: AsyncSession, now: datetime, zone: tzinfo) -> int:
    """Art. 12: makes sure every director and deputy-director unit has its term reminder;
    idempotent, for a daily job (a tier can change without a seat changing)."""
    found = await seated_units(session)
    for unit in found:
        await schedule_term_reminder(session, unit, now, zone)
    return len(found)


async def render_term_end(firing: Firing) -> Reply | None:
    """The term reminder, or None when the unit's tier changed since it was scheduled."""
    payload, t = firing.reminder.payload, firing.t
    unit = await units.get(firing.session, payload["unit_id"])
    if unit is None or unit.tier_since is None or unit.tier_since.isoformat() != payload["since"]:
        return None
    if unit.status not in HAS_RIGHTS or rules.seats_allowed(unit.tier) == 0:
        return None
    day = t.date(rules.term_ends(unit.tier_since))
    return Reply(t(TERM_END_TEXT).format(unit=unit.name, tier=t(TIERS[unit.tier]), day=day))


def term_reminder_kind() -> ReminderKind:
    return ReminderKind(TERM_END, TERM_END_LABEL, render_term_end)


async def _seated_unit(session: AsyncSession, unit_id: int) -> Unit:
    unit = await units.get(session, unit_id)
    if unit is None or unit.status not in HAS_RIGHTS or _allowed(unit) == 0:
        raise DomainError(NO_SEATS)
    return unit


def _allowed(unit: Unit) -> int:
    return rules.seats_allowed(unit.tier)
