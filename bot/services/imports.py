"""Importing the center's roster (art. 12, 17, 19, 21): checked rows become a plan that the
secretariat reads, then the plan is applied in one transaction — all of it or nothing.

A unit is known by its credit code: importing the same file again changes nothing, and a
later file updates what changed and says what. Imported units are members from the import
date; their contacts, seat holders and experts receive invitation links.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.meetings import seats_allowed
from bot.charter.membership import DEPARTED, ON_ROSTER
from bot.charter.roster import MAX_DIRECTOR_UNITS, directors_allowed
from bot.clock import local_date
from bot.i18n import N_, Translator
from bot.labels import SUB_SECTORS, TIERS, UNIT_TYPES
from bot.services import invitations, seats
from bot.services.roster_rows import (
    DEFAULT_LIMITS,
    FIELD_LABELS,
    Limits,
    Problem,
    RefusedRow,
    RosterPerson,
    RosterRow,
    check_rows,
    read_table,
)
from bot.settings import Settings
from storage import applications, audit, units
from storage import invitations as stored_invitations
from storage import meetings as stored_meetings
from storage.models import Contact, Unit, UnitStatus, UnitTier
from storage.onboarding_models import InvitationKind

UNIT_FIELDS = ("name", "unit_type", "sub_sectors", "region", "tier")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class UnitPlan:
    """What the import does to one unit; `unit_id` is None for a new one."""

    row: RosterRow
    unit_id: int | None
    changes: tuple[FieldChange, ...] = ()
    new_seat_holders: tuple[RosterPerson, ...] = ()
    new_experts: tuple[RosterPerson, ...] = ()


@dataclass
class Plan:
    file_name: str
    new: list[UnitPlan] = field(default_factory=list)
    updated: list[UnitPlan] = field(default_factory=list)
    unchanged: list[RosterRow] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)

    @property
    def accepted(self) -> list[RosterRow]:
        rows = [p.row for p in self.new + self.updated] + self.unchanged
        return sorted(rows, key=lambda row: row.line)

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.updated)


async def plan_file(
    session: AsyncSession, file_name: str, content: bytes, limits: Limits = DEFAULT_LIMITS
) -> Plan:
    """Reads and checks the file, and compares it with the roster; writes nothing. The file is
    read in a worker thread: a large one must not hold up everyone else's messages."""
    rows, refused = await asyncio.to_thread(_read_and_check, content, limits)
    return await plan_rows(session, file_name, rows, refused)


def _read_and_check(content: bytes, limits: Limits) -> tuple[list[RosterRow], list[RefusedRow]]:
    return check_rows(read_table(content, limits))


def limits(settings: Settings) -> Limits:
    """The bounds of an imported file, from IMPORT_MAX_ROWS, _COLUMNS and _UNZIPPED_BYTES."""
    return Limits(
        settings.import_max_rows, settings.import_max_columns, settings.import_max_unzipped_bytes
    )


async def plan_rows(
    session: AsyncSession, file_name: str, rows: list[RosterRow], refused: list[RefusedRow] = ()
) -> Plan:
    plan = Plan(file_name, refused=list(refused))
    directors = await _directors_outside(session, {row.credit_code for row in rows})
    for row in rows:
        unit = await units.by_credit_code(session, row.credit_code)
        problem = await _door_problem(session, unit, row)
        if problem is None and row.tier is UnitTier.DIRECTOR:
            directors += 1
            if not directors_allowed(directors):
                message = N_("Art. 19: the center has at most {count} director units.")
                problem = Problem("tier", message, {"count": MAX_DIRECTOR_UNITS})
        if problem is None and unit is not None:
            found = await _compare(session, unit, row)
            problem = found if isinstance(found, Problem) else None
        if problem is not None:
            plan.refused.append(RefusedRow(row.line, row.name, (problem,)))
        elif unit is None:
            plan.new.append(UnitPlan(row, None, (), row.seat_holders, row.experts))
        elif found.changes or found.new_seat_holders or found.new_experts:
            plan.updated.append(found)
        else:
            plan.unchanged.append(row)
    plan.refused.sort(key=lambda refused_row: refused_row.line)
    return plan


async def _door_problem(
    session: AsyncSession, unit: Unit | None, row: RosterRow
) -> Problem | None:
    """Art. 16(6): a unit that left may not come back; an application under review is
    decided in /review, not overwritten by an import."""
    if unit is not None and unit.status in DEPARTED:
        return Problem(
            "credit_code", N_("This unit has left the center and may not rejoin (art. 16(6)).")
        )
    if unit is None and await applications.open_for_code(session, row.credit_code):
        return Problem(
            "credit_code",
            N_("An application with this credit code is under review; decide it with /review."),
        )
    return None


async def _directors_outside(session: AsyncSession, codes: set[str]) -> int:
    found = await units.search(session, tier=UnitTier.DIRECTOR, limit=10_000)
    return sum(1 for u in found if u.status in ON_ROSTER and u.credit_code not in codes)


async def _compare(session: AsyncSession, unit: Unit, row: RosterRow) -> UnitPlan | Problem:
    changes = [
        FieldChange(name, _shown(getattr(unit, name)), _shown(getattr(row, name)))
        for name in UNIT_FIELDS
        if _shown(getattr(unit, name)) != _shown(getattr(row, name))
    ]
    changes += _contact_changes(_main(await units.contacts_of(session, unit.id)), row.contact)
    held = await _seat_names(session, unit.id)
    new_seats = tuple(p for p in row.seat_holders if p.name not in held["all"])
    named = len(held["open"] | {p.name for p in new_seats})
    if named > seats_allowed(row.tier):
        return Problem(
            "seat_holders",
            N_("With this row the unit would name {count} persons; art. 19 allows {allowed}."),
            {"count": named, "allowed": seats_allowed(row.tier)},
        )
    experts = await stored_invitations.of_unit(session, unit.id, InvitationKind.EXPERT)
    known = {i.name for i in experts if i.revoked_at is None or i.used_at is not None}
    new_experts = tuple(p for p in row.experts if p.name not in known)
    changes += [FieldChange("seat_holders", "", p.name) for p in new_seats]
    changes += [FieldChange("experts", "", p.name) for p in new_experts]
    return UnitPlan(row, unit.id, tuple(changes), new_seats, new_experts)


def _contact_changes(main: Contact | None, wanted: RosterPerson) -> list[FieldChange]:
    if main is None or main.name != wanted.name:
        return [FieldChange("contact_name", main.name if main else "", wanted.name)]
    return [
        FieldChange(name, getattr(main, name), getattr(wanted, name))
        for name in ("phone", "email")
        if getattr(main, name) != getattr(wanted, name)
    ]


async def _seat_names(session: AsyncSession, unit_id: int) -> dict[str, set[str]]:
    """Names of the unit's seat holders: all ever invited or seated, and those holding or
    about to hold a seat (art. 19's count)."""
    active = {seat.name for seat in await stored_meetings.active_seats(session, unit_id)}
    invited = await stored_invitations.of_unit(session, unit_id, InvitationKind.SEAT)
    waiting = {i.name for i in invited if i.used_at is None and i.revoked_at is None}
    return {"all": active | {i.name for i in invited}, "open": active | waiting}


# -- applying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    added: int
    updated: int
    invited: int


async def apply(
    session: AsyncSession,
    plan: Plan,
    actor_id: int | None,
    now: datetime,
    valid_for: timedelta,
    zone: tzinfo,
) -> Applied:
    """Writes the plan in the caller's transaction; any error leaves nothing written."""
    invited = 0
    for unit_plan in plan.new:
        invited += await _add_unit(session, unit_plan.row, actor_id, now, valid_for, zone)
    for unit_plan in plan.updated:
        invited += await _update_unit(session, unit_plan, actor_id, now, valid_for, zone)
    if plan.updated:
        await seats.reconcile(session, now)  # a lower tier leaves fewer seats (art. 19)
    if plan.has_changes:
        await audit.record(
            session,
            now,
            actor_id,
            "import.apply",
            f"file:{plan.file_name}"[:128],
            added=len(plan.new),
            updated=len(plan.updated),
            invited=invited,
        )
    return Applied(len(plan.new), len(plan.updated), invited)


async def _add_unit(
    session: AsyncSession,
    row: RosterRow,
    actor_id: int | None,
    now: datetime,
    valid_for: timedelta,
    zone: tzinfo,
) -> int:
    """A member from today (art. 11(3)), with its main contact waiting for their link."""
    unit = Unit(
        name=row.name,
        credit_code=row.credit_code,
        status=UnitStatus.MEMBER,
        created_at=now,
        unit_type=row.unit_type,
        sub_sectors=list(row.sub_sectors),
        region=row.region,
        tier=row.tier,
        tier_since=local_date(now, zone) if row.tier is not UnitTier.MEMBER else None,
        joined_on=local_date(now, zone),
    )
    session.add(unit)
    await session.flush()
    await audit.record(session, now, actor_id, "import.unit_add", f"unit:{unit.id}", line=row.line)
    contact = await units.add_contact(
        session,
        unit.id,
        None,
        row.contact.name,
        now,
        phone=row.contact.phone,
        email=row.contact.email,
        is_main=True,
    )
    invite = Invite(actor_id, now, valid_for)
    await invite(session, InvitationKind.CONTACT, unit.id, row.contact, contact_id=contact.id)
    await seats.schedule_term_reminder(session, unit, now, zone)
    return 1 + await invite.people(session, unit.id, row.seat_holders, row.experts)


async def _update_unit(
    session: AsyncSession,
    unit_plan: UnitPlan,
    actor_id: int | None,
    now: datetime,
    valid_for: timedelta,
    zone: tzinfo,
) -> int:
    """Changes what the file changes; seat holders and experts are only ever added."""
    unit, row = await units.get(session, unit_plan.unit_id or 0), unit_plan.row
    assert unit is not None
    changed = {change.field for change in unit_plan.changes}
    for name in changed & {"name", "unit_type", "region"}:
        setattr(unit, name, getattr(row, name))
    if "sub_sectors" in changed:
        unit.sub_sectors = list(row.sub_sectors)
    if "tier" in changed:  # art. 12: a new term starts with the new tier
        unit.tier = row.tier
        unit.tier_since = local_date(now, zone) if row.tier is not UnitTier.MEMBER else None
    invite = Invite(actor_id, now, valid_for)
    invited = await invite.people(
        session, unit.id, unit_plan.new_seat_holders, unit_plan.new_experts
    )
    if changed & {"contact_name", "phone", "email"}:
        invited += await _update_contact(session, unit.id, row.contact, invite)
    await session.flush()
    if "tier" in changed:
        await seats.schedule_term_reminder(session, unit, now, zone)
    await audit.record(
        session,
        now,
        actor_id,
        "import.unit_update",
        f"unit:{unit.id}",
        line=row.line,
        changes=[[c.field, c.old, c.new] for c in unit_plan.changes],
    )
    return invited


async def _update_contact(
    session: AsyncSession, unit_id: int, wanted: RosterPerson, invite: Invite
) -> int:
    """Art. 14(8): the same person's new phone or e-mail is recorded; another person becomes
    the main contact when they accept their link (an unbound main contact is replaced)."""
    main = _main(await units.contacts_of(session, unit_id))
    pending = await stored_invitations.for_contact(session, main.id) if main else None
    if pending is not None and pending.used_at is not None:
        pending = None
    if main is not None and (main.name == wanted.name or main.person_id is None):
        renamed = main.name != wanted.name
        main.name, main.phone, main.email = wanted.name, wanted.phone, wanted.email
        if pending is not None:
            pending.name, pending.phone, pending.email = wanted.name, wanted.phone, wanted.email
        if pending is not None and renamed:  # the former person's link must not work
            await invitations.regenerate(
                session, pending.id, invite.actor_id, invite.now, invite.valid_for
            )
            return 1
        if main.person_id is None and pending is None:
            await invite(session, InvitationKind.CONTACT, unit_id, wanted, contact_id=main.id)
            return 1
        return 0
    contact = await units.add_contact(
        session, unit_id, None, wanted.name, invite.now, phone=wanted.phone, email=wanted.email
    )
    await invite(
        session, InvitationKind.CONTACT, unit_id, wanted, contact_id=contact.id, as_main=True
    )
    return 1


@dataclass(frozen=True)
class Invite:
    """Creates the import's invitations, all with the same author, time and validity."""

    actor_id: int | None
    now: datetime
    valid_for: timedelta

    async def __call__(
        self,
        session: AsyncSession,
        kind: InvitationKind,
        unit_id: int,
        person: RosterPerson,
        contact_id: int | None = None,
        as_main: bool | None = None,
    ) -> None:
        await invitations.create(
            session,
            kind,
            self.now,
            self.valid_for,
            actor_id=self.actor_id,
            unit_id=unit_id,
            contact_id=contact_id,
            name=person.name,
            phone=person.phone,
            email=person.email,
            as_main=kind is InvitationKind.CONTACT if as_main is None else as_main,
        )

    async def people(
        self,
        session: AsyncSession,
        unit_id: int,
        seat_holders: tuple[RosterPerson, ...],
        experts: tuple[RosterPerson, ...],
    ) -> int:
        for person in seat_holders:
            await self(session, InvitationKind.SEAT, unit_id, person)
        for person in experts:
            await self(session, InvitationKind.EXPERT, unit_id, person)
        return len(seat_holders) + len(experts)


def _main(contacts: list[Contact] | tuple[Contact, ...] | object) -> Contact | None:
    return next((c for c in contacts if c.is_main), None)  # type: ignore[attr-defined]


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


# -- the report ---------------------------------------------------------------------------------


def report(t: Translator, plan: Plan, limit: int | None = None) -> list[str]:
    """The secretariat's reading of the plan: counts, then each new, changed and refused row;
    with `limit`, at most that many row lines (the full report goes along as a file)."""
    head = t(
        "File {file}: {accepted} rows accepted ({new} new units, {updated} updated, "
        "{unchanged} unchanged), {refused} refused."
    ).format(
        file=plan.file_name,
        accepted=len(plan.accepted),
        new=len(plan.new),
        updated=len(plan.updated),
        unchanged=len(plan.unchanged),
        refused=len(plan.refused),
    )
    lines = [_refused_line(t, row) for row in plan.refused]
    lines += [_new_line(t, unit_plan.row) for unit_plan in plan.new]
    lines += [_changed_line(t, unit_plan) for unit_plan in plan.updated]
    if limit is not None and len(lines) > limit:
        more = t("… and {count} more rows: see the attached report.")
        lines = [*lines[:limit], more.format(count=len(lines) - limit)]
    return [head, *lines]


def _refused_line(t: Translator, row: RefusedRow) -> str:
    reasons = "; ".join(
        f"{t(FIELD_LABELS[p.field])}: {t(p.message).format(**_translated(t, p.params))}"
        for p in row.problems
    )
    return t("✗ row {row}, {unit}: {reasons}").format(
        row=row.line, unit=row.label, reasons=reasons
    )


def _new_line(t: Translator, row: RosterRow) -> str:
    text = t("+ row {row}, new: {unit} ({code}), {tier}")
    return text.format(row=row.line, unit=row.name, code=row.credit_code, tier=t(TIERS[row.tier]))


def _changed_line(t: Translator, unit_plan: UnitPlan) -> str:
    changes = "; ".join(
        f"{t(FIELD_LABELS[c.field])}: {_value(t, c.field, c.old)} → {_value(t, c.field, c.new)}"
        if c.old
        else f"{t(FIELD_LABELS[c.field])}: + {_value(t, c.field, c.new)}"
        for c in unit_plan.changes
    )
    text = t("~ row {row}, {unit}: {changes}")
    return text.format(row=unit_plan.row.line, unit=unit_plan.row.name, changes=changes)


def _value(t: Translator, name: str, value: str) -> str:
    vocabulary = {"unit_type": UNIT_TYPES, "sub_sectors": SUB_SECTORS, "tier": TIERS}.get(name)
    if vocabulary is None:
        return value
    return ", ".join(t(vocabulary.get(part, part)) for part in value.split(",") if part)


def _translated(t: Translator, params: dict[str, object]) -> dict[str, object]:
    """Labels among a problem's parameters (a tier) are msgids: shown in the reader's language."""
    return {k: t(v) if k == "tier" and isinstance(v, str) else v for k, v in params.items()}
