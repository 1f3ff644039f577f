"""Queries over events, signups, and the event reminders in the reminders table. No commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.events_models import (
    ACTIVE,
    HOLDING,
    Event,
    EventSignup,
    EventStatus,
    SignupStatus,
)
from storage.models import Person, Reminder, ReminderStatus, Unit

Row = tuple[EventSignup, Person, Unit | None]


async def get(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def lock(session: AsyncSession, event_id: int) -> Event | None:
    """The event, locked for this transaction (`FOR UPDATE` on PostgreSQL; SQLite has one
    writer at a time), so that signups for its places are counted one after another."""
    query = select(Event).where(Event.id == event_id).with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def upcoming(session: AsyncSession, now: datetime, limit: int = 10) -> Sequence[Event]:
    query = (
        select(Event)
        .where(Event.status == EventStatus.OPEN, Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def signup(session: AsyncSession, signup_id: int) -> EventSignup | None:
    return await session.get(EventSignup, signup_id, populate_existing=True)


async def signup_of(session: AsyncSession, event_id: int, person_id: int) -> EventSignup | None:
    query = select(EventSignup).where(
        EventSignup.event_id == event_id, EventSignup.person_id == person_id
    )
    return await session.scalar(query)


async def taken(session: AsyncSession, event_ids: Iterable[int]) -> dict[int, int]:
    """Places held (confirmed or offered), by event."""
    query = (
        select(EventSignup.event_id, func.count())
        .where(EventSignup.event_id.in_(list(event_ids)), EventSignup.status.in_(HOLDING))
        .group_by(EventSignup.event_id)
    )
    return dict((await session.execute(query)).all())  # type: ignore[arg-type]


async def count(session: AsyncSession, event_id: int, *statuses: SignupStatus) -> int:
    query = select(func.count()).where(
        EventSignup.event_id == event_id, EventSignup.status.in_(statuses)
    )
    return int(await session.scalar(query) or 0)


async def position(session: AsyncSession, signup: EventSignup) -> int:
    """Where a waiting signup stands on the waitlist, from 1."""
    ahead = select(func.count()).where(
        EventSignup.event_id == signup.event_id,
        EventSignup.status == SignupStatus.WAITING,
        or_(
            EventSignup.queued_at < signup.queued_at,
            and_(EventSignup.queued_at == signup.queued_at, EventSignup.id < signup.id),
        ),
    )
    return int(await session.scalar(ahead) or 0) + 1


async def unit_signups(session: AsyncSession, event_id: int, unit_id: int) -> int:
    query = select(func.count()).where(
        EventSignup.event_id == event_id,
        EventSignup.unit_id == unit_id,
        EventSignup.status.in_(ACTIVE),
    )
    return int(await session.scalar(query) or 0)


async def waiting(session: AsyncSession, event_id: int, limit: int) -> Sequence[EventSignup]:
    """The first `limit` on the waitlist, in order."""
    query = (
        select(EventSignup)
        .where(EventSignup.event_id == event_id, EventSignup.status == SignupStatus.WAITING)
        .order_by(EventSignup.queued_at, EventSignup.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def rows(session: AsyncSession, event_id: int, *statuses: SignupStatus) -> list[Row]:
    """Signups with their person and unit, places first, then the waitlist in order."""
    query = (
        select(EventSignup, Person, Unit)
        .join(Person, Person.id == EventSignup.person_id)
        .outerjoin(Unit, Unit.id == EventSignup.unit_id)
        .where(EventSignup.event_id == event_id, EventSignup.status.in_(statuses or ACTIVE))
        .order_by(EventSignup.queued_at, EventSignup.id)
    )
    found = [(s, p, u) for s, p, u in (await session.execute(query)).all()]
    order = list(SignupStatus)
    return sorted(found, key=lambda row: order.index(row[0].status))


async def people(session: AsyncSession, event_id: int, *statuses: SignupStatus) -> list[Person]:
    return [person for _, person, _ in await rows(session, event_id, *statuses)]


async def attended_units(session: AsyncSession, event_id: int) -> list[int]:
    query = (
        select(EventSignup.unit_id)
        .where(
            EventSignup.event_id == event_id,
            EventSignup.attended_at.is_not(None),
            EventSignup.unit_id.is_not(None),
        )
        .distinct()
        .order_by(EventSignup.unit_id)
    )
    return [unit_id for unit_id in (await session.scalars(query)).all() if unit_id is not None]


async def cancel_reminders(session: AsyncSession, key_prefix: str, now: datetime) -> int:
    """Cancels the pending reminders whose dedup key starts with `key_prefix`.

    Rows a reminder sweep holds are skipped, not waited for: the sweep is firing them now,
    and their renderers re-check the signup and find them obsolete. Waiting would deadlock,
    since the sweep may in turn wait for the event this transaction has locked.
    """
    pending = (
        select(Reminder.id)
        .where(
            Reminder.dedup_key.startswith(key_prefix, autoescape=True),
            Reminder.status == ReminderStatus.PENDING,
        )
        .with_for_update(skip_locked=True)
    )
    cancelled = await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(pending.scalar_subquery()))
        .values(status=ReminderStatus.CANCELLED, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(cancelled.rowcount or 0)  # type: ignore[attr-defined]
