"""Queries over notices and their recipients. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, OutboxMessage, Person, Unit
from storage.names import printed_names
from storage.notices_models import Notice, NoticeRecipient, NoticeStatus


class ReportRow(NamedTuple):
    """A recipient in the report: their unit, their copy's outbox row, and their name as the
    secretariat prints it (the roster's, see storage/names.py)."""

    recipient: NoticeRecipient
    person: Person
    unit: Unit | None
    copy: OutboxMessage | None
    name: str


async def get(session: AsyncSession, notice_id: int) -> Notice | None:
    return await session.get(Notice, notice_id)


async def add(session: AsyncSession, notice: Notice) -> Notice:
    session.add(notice)
    await session.flush()
    return notice


async def units_with_contacts(session: AsyncSession) -> list[tuple[Unit, Person]]:
    """Every unit with each of its contacts who has started the bot."""
    query = (
        select(Unit, Person)
        .join(Contact, Contact.unit_id == Unit.id)
        .join(Person, Person.id == Contact.person_id)
        .order_by(Person.id)
    )
    return [(unit, person) for unit, person in (await session.execute(query)).all()]


async def units_of_contact(session: AsyncSession, person_id: int) -> Sequence[Unit]:
    """The units the person is a contact of now."""
    query = select(Unit).join(Contact, Contact.unit_id == Unit.id)
    return (await session.scalars(query.where(Contact.person_id == person_id))).all()


async def everyone(session: AsyncSession) -> Sequence[Person]:
    """Everyone who has ever written to the bot."""
    return (await session.scalars(select(Person).order_by(Person.id))).all()


async def regions(session: AsyncSession) -> list[str]:
    query = select(Unit.region).where(Unit.region != "").distinct().order_by(Unit.region)
    return list((await session.scalars(query)).all())


async def add_recipients(session: AsyncSession, rows: Sequence[NoticeRecipient]) -> None:
    session.add_all(rows)
    await session.flush()


async def outbox_rows_by_chat(session: AsyncSession, batch_id: int) -> dict[int, list[int]]:
    """The outbox rows of a batch, per chat, in the order they are sent."""
    query = (
        select(OutboxMessage.chat_id, OutboxMessage.id)
        .where(OutboxMessage.batch_id == batch_id)
        .order_by(OutboxMessage.id)
    )
    found: dict[int, list[int]] = {}
    for chat_id, row_id in (await session.execute(query)).all():
        found.setdefault(chat_id, []).append(row_id)
    return found


async def recipient(
    session: AsyncSession, notice_id: int, person_id: int
) -> NoticeRecipient | None:
    query = select(NoticeRecipient).where(
        NoticeRecipient.notice_id == notice_id, NoticeRecipient.person_id == person_id
    )
    return await session.scalar(query)


async def recipients(session: AsyncSession, notice_id: int) -> Sequence[NoticeRecipient]:
    query = select(NoticeRecipient).where(NoticeRecipient.notice_id == notice_id)
    return (await session.scalars(query.order_by(NoticeRecipient.id))).all()


async def acknowledge(
    session: AsyncSession, notice_id: int, person_id: int, now: datetime
) -> bool:
    """Records the acknowledgement; False when it was recorded before (a double press)."""
    done = await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.person_id == person_id)
        .where(NoticeRecipient.acknowledged_at.is_(None))
        .values(acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def unacknowledged(
    session: AsyncSession, notice_id: int
) -> list[tuple[NoticeRecipient, Person]]:
    query = (
        select(NoticeRecipient, Person)
        .join(Person, Person.id == NoticeRecipient.person_id)
        .where(NoticeRecipient.notice_id == notice_id)
        .where(NoticeRecipient.acknowledged_at.is_(None))
        .order_by(NoticeRecipient.id)
    )
    return [(r, p) for r, p in (await session.execute(query)).all()]


async def report(session: AsyncSession, notice_id: int) -> list[ReportRow]:
    """Each recipient with their unit, the outbox row of their copy and their printed name."""
    query = (
        select(NoticeRecipient, Person, Unit, OutboxMessage)
        .join(Person, Person.id == NoticeRecipient.person_id)
        .outerjoin(Unit, Unit.id == NoticeRecipient.unit_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == NoticeRecipient.outbox_id)
        .where(NoticeRecipient.notice_id == notice_id)
        .order_by(Unit.name, NoticeRecipient.id)
    )
    found = (await session.execute(query)).all()
    names = await printed_names(session, (p for _, p, _, _ in found))
    return [ReportRow(r, p, u, o, names[p.id]) for r, p, u, o in found]


async def sent_copies(session: AsyncSession, notice_id: int) -> list[tuple[int, int]]:
    """(chat id, message id) of every copy Telegram took, the lead texts included."""
    ids = select(NoticeRecipient.outbox_id).where(NoticeRecipient.notice_id == notice_id)
    leads = select(NoticeRecipient.lead_outbox_id).where(NoticeRecipient.notice_id == notice_id)
    query = (
        select(OutboxMessage.chat_id, OutboxMessage.message_id)
        .where(OutboxMessage.id.in_(ids) | OutboxMessage.id.in_(leads))
        .where(OutboxMessage.message_id.is_not(None))
        .order_by(OutboxMessage.id)
    )
    return [(chat, message) for chat, message in (await session.execute(query)).all()]


async def recent(
    session: AsyncSession, since: datetime, statuses: Sequence[NoticeStatus], limit: int = 20
) -> Sequence[Notice]:
    query = (
        select(Notice)
        .where(Notice.created_at >= since, Notice.status.in_(list(statuses)))
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def addressed_to(session: AsyncSession, person_id: int) -> set[int]:
    query = select(NoticeRecipient.notice_id).where(NoticeRecipient.person_id == person_id)
    return set((await session.scalars(query)).all())
