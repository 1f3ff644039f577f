"""A member unit's life after joining: tiers, discipline, withdrawal, inactivity (art. 12–17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter import membership as rules
from bot.charter.membership import Discipline
from bot.clock import local_date
from bot.errors import DomainError
from bot.i18n import N_
from bot.protocol import Reply
from bot.reminders.kinds import Firing, ReminderKind
from bot.services import seats
from storage import audit, membership, people, reminders, units
from storage.models import (
    DisciplineRecord,
    Participation,
    Person,
    Role,
    Unit,
    UnitStatus,
    UnitTier,
    Withdrawal,
)

NOT_FOUND = N_("No such unit.")
WITHDRAWAL_DUE = "withdrawal_due"
WITHDRAWAL_REMINDER_DAYS = 7
REMINDER_TIME = time(9, 0)  # in the center's time zone
HAS_LEFT = N_("This unit is no longer a member.")


async def member_unit(session: AsyncSession, unit_id: int) -> Unit:
    """A unit still on the roster, or a refusal."""
    unit = await units.get(session, unit_id)
    if unit is None:
        raise DomainError(NOT_FOUND)
    if unit.status in rules.DEPARTED:
        raise DomainError(HAS_LEFT)
    return unit


async def set_tier(
    session: AsyncSession,
    unit_id: int,
    tier: UnitTier,
    actor_id: int,
    now: datetime,
    zone: tzinfo,
) -> Unit:
    """Art. 12: director and deputy-director units, recorded with the center's date."""
    unit = await member_unit(session, unit_id)
    if unit.tier == tier:
        raise DomainError(N_("The unit already has this tier."))
    previous, unit.tier, unit.tier_since = unit.tier, tier, local_date(now, zone)
    await seats.reconcile(session, now)  # art. 19: a unit that is no longer a director loses seats
    await audit.record(
        session, now, actor_id, "unit.tier", f"unit:{unit.id}", before=previous, after=tier
    )
    return unit


@dataclass(frozen=True)
class Departure:
    unit: Unit
    former_contacts: list[Person]


async def discipline(
    session: AsyncSession,
    unit_id: int,
    measure: Discipline,
    reason: str,
    actor_id: int,
    now: datetime,
    zone: tzinfo,
) -> Departure | Unit:
    """Art. 15: records the measure; suspension and expulsion change the unit's status."""
    unit = await member_unit(session, unit_id)
    if measure is Discipline.SUSPENSION and unit.status is UnitStatus.SUSPENDED:
        raise DomainError(N_("The unit's rights are already suspended."))
    session.add(
        DisciplineRecord(
            unit_id=unit.id, measure=measure, reason=reason, decided_by=actor_id, decided_at=now
        )
    )
    await audit.record(
        session, now, actor_id, f"discipline.{measure}", f"unit:{unit.id}", reason=reason
    )
    status = rules.status_after_discipline(measure, unit.status)
    if status is UnitStatus.EXPELLED:
        return await _depart(
            session, unit, UnitStatus.EXPELLED, actor_id, now, local_date(now, zone)
        )
    if status is UnitStatus.SUSPENDED:
        await _cancel_withdrawal(session, unit, now)
    unit.status = status
    return unit


async def lift_suspension(
    session: AsyncSession, unit_id: int, actor_id: int, now: datetime
) -> Unit:
    unit = await member_unit(session, unit_id)
    record = await membership.open_suspension(session, unit.id)
    if unit.status is not UnitStatus.SUSPENDED or record is None:
        raise DomainError(N_("The unit's rights are not suspended."))
    record.lifted_at, record.lifted_by, unit.status = now, actor_id, UnitStatus.MEMBER
    await audit.record(session, now, actor_id, "discipline.lift", f"unit:{unit.id}")
    return unit


async def request_withdrawal(
    session: AsyncSession, unit_id: int, actor_id: int, now: datetime, zone: tzinfo
) -> Withdrawal:
    """Art. 16(1): written notice; membership ends thirty days later, counted in the
    center's days from the day the notice was given."""
    unit = await member_unit(session, unit_id)
    if unit.status is not UnitStatus.MEMBER:
        raise DomainError(N_("Only a member unit in good standing can give notice of withdrawal."))
    withdrawal = Withdrawal(
        unit_id=unit.id,
        cause="notice",
        requested_at=now,
        requested_by=actor_id,
        effective_on=rules.withdrawal_effective_on(local_date(now, zone)),
    )
    session.add(withdrawal)
    await session.flush()
    unit.status = UnitStatus.WITHDRAWING
    await _remind_before_leaving(session, unit, withdrawal, now, zone)
    await audit.record(
        session,
        now,
        actor_id,
        "withdrawal.notice",
        f"unit:{unit.id}",
        effective_on=str(withdrawal.effective_on),
    )
    return withdrawal


async def _remind_before_leaving(
    session: AsyncSession, unit: Unit, withdrawal: Withdrawal, now: datetime, zone: tzinfo
) -> None:
    """The unit's contacts are reminded a week before the notice takes effect (art. 16(1))."""
    day = withdrawal.effective_on - timedelta(days=WITHDRAWAL_REMINDER_DAYS)
    for contact in await units.contacts_of(session, unit.id):
        if contact.person_id is None:
            continue
        await reminders.schedule(
            session,
            kind=WITHDRAWAL_DUE,
            person_id=contact.person_id,
            due_at=max(now, datetime.combine(day, REMINDER_TIME, zone)),
            expires_at=datetime.combine(withdrawal.effective_on, REMINDER_TIME, zone),
            dedup_key=f"withdrawal:{withdrawal.id}:{contact.person_id}",
            payload={"unit_id": unit.id, "effective_on": withdrawal.effective_on.isoformat()},
            now=now,
        )


async def _render_withdrawal_due(firing: Firing) -> Reply | None:
    """None once the notice was taken back or the unit has left: the reminder is obsolete."""
    unit = await units.get(firing.session, firing.reminder.payload["unit_id"])
    if unit is None or unit.status is not UnitStatus.WITHDRAWING:
        return None
    text = firing.t(
        "{unit} leaves the center on {day}. To stay, take the notice back with /withdraw."
    )
    day = date.fromisoformat(firing.reminder.payload["effective_on"])
    return Reply(text.format(unit=unit.name, day=firing.t.date(day)))


def reminder_kinds() -> list[ReminderKind]:
    """This feature's reminder kinds, for bot.reminders.kinds.reminder_kinds()."""
    label = N_("reminder that a withdrawal takes effect")
    return [ReminderKind(WITHDRAWAL_DUE, label, _render_withdrawal_due)]


async def take_back_withdrawal(
    session: AsyncSession, unit_id: int, actor_id: int, now: datetime
) -> Unit:
    unit = await member_unit(session, unit_id)
    if unit.status is not UnitStatus.WITHDRAWING or not await _cancel_withdrawal(
        session, unit, now
    ):
        raise DomainError(N_("There is no withdrawal to take back."))
    unit.status = UnitStatus.MEMBER
    await audit.record(session, now, actor_id, "withdrawal.take_back", f"unit:{unit.id}")
    return unit


async def complete_due_withdrawals(
    session: AsyncSession, now: datetime, zone: tzinfo
) -> list[Departure]:
    """Art. 16(1): notices whose thirty days have run out end the membership.

    The unit left on the notice's effective day, however late the daily job ran."""
    departures = []
    for withdrawal in await membership.withdrawals_due(session, local_date(now, zone)):
        unit = await units.get(session, withdrawal.unit_id)
        if unit is None or unit.status is not UnitStatus.WITHDRAWING:
            continue
        withdrawal.completed_at = now
        departures.append(
            await _depart(session, unit, UnitStatus.WITHDRAWN, None, now, withdrawal.effective_on)
        )
    return departures


async def revoke_licence(
    session: AsyncSession, unit_id: int, actor_id: int, now: datetime, zone: tzinfo
) -> Departure:
    """Art. 16(3): a revoked business licence cancels membership at once."""
    unit, today = await member_unit(session, unit_id), local_date(now, zone)
    await _cancel_withdrawal(session, unit, now)
    session.add(
        Withdrawal(
            unit_id=unit.id,
            cause="licence",
            requested_at=now,
            requested_by=actor_id,
            effective_on=today,
            completed_at=now,
        )
    )
    return await _depart(session, unit, UnitStatus.WITHDRAWN, actor_id, now, today)


async def record_participation(
    session: AsyncSession, unit_id: int, kind: str, on: date, ref: str = ""
) -> None:
    """Art. 16(2): attendance, acknowledgements, votes and projects keep a unit active."""
    session.add(Participation(unit_id=unit_id, kind=kind, on=on, ref=ref))


@dataclass
class InactivitySweep:
    warned: list[tuple[Unit, date]]  # unit, the day it will be withdrawn
    withdrawn: list[Departure]


async def sweep_inactivity(session: AsyncSession, now: datetime, zone: tzinfo) -> InactivitySweep:
    """Art. 16(2): warns units nearing two years without participation; withdraws those past it.

    A unit withdrawn this way left on the day its two years ran out, however late the job ran."""
    today, result = local_date(now, zone), InactivitySweep([], [])
    latest = await membership.last_participation(session)
    for unit in await membership.units_subject_to_inactivity(session):
        last = rules.last_participation(
            unit.joined_on or local_date(unit.created_at, zone),
            [latest[unit.id]] if unit.id in latest else [],
        )
        deadline = rules.inactivity_deadline(last)
        if today >= deadline:
            session.add(
                Withdrawal(
                    unit_id=unit.id,
                    cause="inactivity",
                    requested_at=now,
                    effective_on=deadline,
                    completed_at=now,
                )
            )
            result.withdrawn.append(
                await _depart(session, unit, UnitStatus.WITHDRAWN, None, now, deadline)
            )
        elif (
            today >= rules.inactivity_warning_on(last)
            and (unit.inactivity_warned_on or date.min) < last
        ):
            unit.inactivity_warned_on = today
            await audit.record(
                session, now, None, "inactivity.warning", f"unit:{unit.id}", deadline=str(deadline)
            )
            result.warned.append((unit, deadline))
    return result


async def _cancel_withdrawal(session: AsyncSession, unit: Unit, now: datetime) -> bool:
    pending = await membership.pending_withdrawal(session, unit.id)
    if pending is not None:
        pending.taken_back_at = now
    return pending is not None


async def _depart(
    session: AsyncSession,
    unit: Unit,
    status: UnitStatus,
    actor_id: int | None,
    now: datetime,
    left_on: date,
) -> Departure:
    """Art. 16(5): rights end at once — the contacts lose their role and their link to the unit.

    `left_on` is the center's date the membership ended (a withdrawal's effective day)."""
    unit.status, unit.left_on = status, left_on
    former = []
    for contact in await units.contacts_of(session, unit.id):
        if contact.person_id is not None:
            person = await session.get(Person, contact.person_id)
            await people.revoke(session, contact.person_id, Role.CONTACT)
            contact.person_id = None
            if person is not None:
                former.append(person)
    await audit.record(session, now, actor_id, f"unit.{status}", f"unit:{unit.id}")
    await seats.reconcile(session, now)  # its seats on the joint meeting end too
    return Departure(unit, former)
