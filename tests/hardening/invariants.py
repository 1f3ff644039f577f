"""The database's invariants, as queries: what must hold after any sequence of updates.

`violations(session, routes)` returns one line per broken invariant (empty when all hold);
each check is counted in `CHECKS` so the hardening tests can report how many they ran.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.documents import Audience, may_receive_document
from bot.routing import Routes
from storage import people
from storage.documents_models import Document, DocumentDelivery
from storage.events_models import ACTIVE, HOLDING, Event, EventSignup
from storage.meetings_models import (
    Attendance,
    BallotBox,
    BallotKind,
    Motion,
    Seat,
    Vote,
)
from storage.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    Contact,
    Conversation,
    DeliveryStatus,
    OutboxMessage,
    Unit,
    UnitStatus,
)

# Statuses whose units are on the roster and must be reachable through a main contact.
ON_ROSTER = (UnitStatus.MEMBER, UnitStatus.SUSPENDED, UnitStatus.WITHDRAWING)


@dataclass
class Tally:
    """How many invariant queries ran, for the figures the lead reports."""

    checks: int = 0
    by_name: Counter[str] = field(default_factory=Counter)

    def count(self, name: str) -> None:
        self.checks += 1
        self.by_name[name] += 1


CHECKS = Tally()


async def audit_rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    """The audit log as it stands, to compare later: rows may be added, never changed."""
    rows = await session.execute(
        select(
            AuditEntry.id,
            AuditEntry.actor_id,
            AuditEntry.action,
            AuditEntry.subject,
            AuditEntry.note,
        ).order_by(AuditEntry.id)
    )
    return [tuple(r) for r in rows.all()]


async def violations(
    session: AsyncSession,
    routes: Routes,
    now: datetime,
    audit_before: Sequence[tuple[Any, ...]] = (),
) -> list[str]:
    found: list[str] = []
    for check in (_votes, _signups, _documents, _contacts, _outbox, _conversations, _applications):
        CHECKS.count(check.__name__.strip("_"))
        found += await check(session, routes, now)
    CHECKS.count("audit")
    after = await audit_rows(session)
    if after[: len(audit_before)] != list(audit_before):
        found.append("audit log: an earlier row was changed or removed")
    return found


async def _votes(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """Art. 20: one vote per seat and motion, cast by a checked-in seat while the motion was
    open, by its holder or representative; a secret ballot's receipts match its votes."""
    found = []
    rows = await session.execute(
        select(Vote.motion_id, Vote.seat_id, func.count())
        .group_by(Vote.motion_id, Vote.seat_id)
        .having(func.count() > 1)
    )
    found += [f"votes: seat {s} voted {n} times on motion {m}" for m, s, n in rows.all()]
    votes = (
        await session.execute(select(Vote, Motion).join(Motion, Motion.id == Vote.motion_id))
    ).all()
    for vote, motion in votes:
        attendance = await session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == motion.meeting_id, Attendance.seat_id == vote.seat_id
            )
        )
        seat = await session.get(Seat, vote.seat_id)
        where = f"vote {vote.id} (motion {motion.id}, seat {vote.seat_id})"
        if attendance is None or attendance.checked_in_at is None:
            found.append(f"{where}: the seat was not checked in")
        if motion.opened_at is None or vote.cast_at < motion.opened_at:
            found.append(f"{where}: cast before the motion opened")
        if motion.closed_at is not None and (vote.changed_at or vote.cast_at) > motion.closed_at:
            found.append(f"{where}: cast after the motion closed")
        voters = {seat.person_id if seat else None}
        if attendance is not None and attendance.representative_id is not None:
            voters = {attendance.representative_id}
        if vote.person_id not in voters:
            found.append(f"{where}: cast by person {vote.person_id}, not the seat's voter")
        if (motion.ballot is BallotKind.SECRET) != (vote.choice is None):
            found.append(f"{where}: the choice is kept against the ballot's kind")
    secret = await session.execute(select(Motion.id).where(Motion.ballot == BallotKind.SECRET))
    for (motion_id,) in secret.all():
        box = await session.get(BallotBox, motion_id)
        ballots = len(box.ballots) if box else 0
        cast = await session.scalar(
            select(func.count()).select_from(Vote).where(Vote.motion_id == motion_id)
        )
        if ballots != cast:
            found.append(f"motion {motion_id}: {ballots} secret ballots for {cast} votes")
    return found


async def _signups(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """Art. 7, 13(2): places taken never exceed the capacity, nor a unit's share per_unit."""
    found = []
    for event in (await session.scalars(select(Event))).all():
        holding = await session.scalar(
            select(func.count()).where(
                EventSignup.event_id == event.id, EventSignup.status.in_(HOLDING)
            )
        )
        if event.capacity is not None and holding > event.capacity:
            found.append(f"event {event.id}: {holding} places taken of {event.capacity}")
        per_unit = await session.execute(
            select(EventSignup.unit_id, func.count())
            .where(
                EventSignup.event_id == event.id,
                EventSignup.status.in_(ACTIVE),
                EventSignup.unit_id.is_not(None),
            )
            .group_by(EventSignup.unit_id)
        )
        found += [
            f"event {event.id}: unit {u} has {n} signups, {event.per_unit} allowed"
            for u, n in per_unit.all()
            if n > event.per_unit
        ]
    twice = await session.execute(
        select(EventSignup.event_id, EventSignup.person_id, func.count())
        .group_by(EventSignup.event_id, EventSignup.person_id)
        .having(func.count() > 1)
    )
    found += [f"event {e}: person {p} signed up {n} times" for e, p, n in twice.all()]
    return found


async def _documents(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """Art. 13(1), 14(4), 15, 16(5): every delivery the log records as allowed passes the
    access rule of bot/charter/documents.py, re-evaluated on the person and unit as they are
    now (the hardening runs change no unit's standing after a delivery)."""
    found = []
    deliveries = (
        await session.scalars(select(DocumentDelivery).where(DocumentDelivery.allowed))
    ).all()
    for delivery in deliveries:
        document = await session.get(Document, delivery.document_id)
        assert document is not None
        roles = await people.roles_of(session, delivery.person_id)
        # The unit the person is a contact of, and the one they hold a seat for, as now.
        contact = await session.scalar(
            select(Contact).where(Contact.person_id == delivery.person_id).limit(1)
        )
        unit = await session.get(Unit, contact.unit_id) if contact else None
        seat = await session.scalar(
            select(Seat).where(Seat.person_id == delivery.person_id, Seat.ended_at.is_(None))
        )
        seat_unit = await session.get(Unit, seat.unit_id) if seat else None
        decision = may_receive_document(
            roles,
            unit.status if unit else None,
            unit.id if unit else None,
            Audience(document.level, frozenset(document.unit_ids or ())),
            document.embargo_until,
            Audience(document.review_level, frozenset(document.review_unit_ids or ()))
            if document.review_level
            else None,
            delivery.at,
            seat_status=seat_unit.status if seat_unit else None,
        )
        if not decision.allowed:
            found.append(
                f"document {document.id} delivered to person {delivery.person_id}"
                f" against the rule ({decision.reason})"
            )
    return found


async def _contacts(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """Art. 14(8): a unit has at most one main contact, and a unit on the roster has one."""
    found = []
    mains = await session.execute(
        select(Contact.unit_id, func.count()).where(Contact.is_main).group_by(Contact.unit_id)
    )
    count = dict(mains.all())
    found += [f"unit {u}: {n} main contacts" for u, n in count.items() if n > 1]
    on_roster = await session.scalars(select(Unit.id).where(Unit.status.in_(ON_ROSTER)))
    found += [f"unit {u} on the roster has no main contact" for u in on_roster if u not in count]
    bound = await session.execute(
        select(Contact.person_id, func.count())
        .where(Contact.person_id.is_not(None))
        .group_by(Contact.person_id)
        .having(func.count() > 1)
    )
    found += [f"person {p} is a contact {n} times" for p, n in bound.all()]
    return found


async def _outbox(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """The delivery invariant: every outbox row is in exactly one known status."""
    total = await session.scalar(select(func.count()).select_from(OutboxMessage))
    by_status = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counted = dict(by_status.all())
    found = []
    if sum(counted.values()) != total:
        found.append(f"outbox: {sum(counted.values())} by status, {total} rows")
    unknown = set(map(str, counted)) - {s.value for s in DeliveryStatus}
    if unknown:
        found.append(f"outbox: unknown statuses {sorted(unknown)}")
    return found


async def _conversations(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """A form in progress names a form and a step the bot has."""
    found = []
    for conversation in (await session.scalars(select(Conversation))).all():
        form = routes.forms.get(conversation.form)
        if form is None or conversation.step not in form.steps:
            found.append(
                f"person {conversation.person_id}: in unknown form step"
                f" {conversation.form}/{conversation.step}"
            )
    return found


async def _applications(session: AsyncSession, routes: Routes, now: datetime) -> list[str]:
    """Art. 11: at most one open application per credit code."""
    rows = await session.execute(
        select(Application.credit_code, func.count())
        .where(
            Application.status.in_((ApplicationStatus.PENDING, ApplicationStatus.INFO_REQUESTED))
        )
        .group_by(Application.credit_code)
        .having(func.count() > 1)
    )
    return [f"credit code {c}: {n} open applications" for c, n in rows.all()]
