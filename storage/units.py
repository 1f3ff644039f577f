"""Units, their contacts, and the people behind them (art. 9, 14(8), 17)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Person, Unit, UnitStatus, UnitTier


async def by_credit_code(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.credit_code == code))


async def get(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def of_person(session: AsyncSession, person_id: int) -> tuple[Unit, Contact] | None:
    """The unit a person is a contact of, with their contact record."""
    query = (
        select(Unit, Contact)
        .join(Contact, Contact.unit_id == Unit.id)
        .where(Contact.person_id == person_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def contacts_of(session: AsyncSession, unit_id: int) -> Sequence[Contact]:
    query = (
        select(Contact)
        .where(Contact.unit_id == unit_id)
        .order_by(Contact.is_main.desc(), Contact.id)
    )
    return (await session.scalars(query)).all()


async def add_contact(
    session: AsyncSession,
    unit_id: int,
    person_id: int | None,
    name: str,
    now: datetime,
    *,
    phone: str = "",
    email: str = "",
    is_main: bool = False,
) -> Contact:
    contact = Contact(
        unit_id=unit_id,
        person_id=person_id,
        name=name,
        phone=phone,
        email=email,
        is_main=is_main,
        since=now,
    )
    session.add(contact)
    await session.flush()
    return contact


async def search(
    session: AsyncSession,
    text: str = "",
    status: UnitStatus | None = None,
    tier: UnitTier | None = None,
    sub_sector: str | None = None,
    limit: int = 50,
) -> Sequence[Unit]:
    """Units by name or credit code fragment, status, tier; sub-sector filtered in Python
    because JSON containment differs between SQLite and PostgreSQL."""
    query = select(Unit).order_by(Unit.name)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(func.lower(Unit.name).like(pattern), func.lower(Unit.credit_code).like(pattern))
        )
    if status is not None:
        query = query.where(Unit.status == status)
    if tier is not None:
        query = query.where(Unit.tier == tier)
    units = (await session.scalars(query)).all()
    if sub_sector:
        units = [u for u in units if sub_sector in (u.sub_sectors or [])]
    return units[:limit]


async def contact_people(
    session: AsyncSession, statuses: Sequence[UnitStatus], unit_ids: Sequence[int] | None = None
) -> Sequence[Person]:
    """The people who are contacts of units in `statuses` (optionally only `unit_ids`)."""
    query = (
        select(Person)
        .join(Contact, Contact.person_id == Person.id)
        .join(Unit, Unit.id == Contact.unit_id)
        .where(Unit.status.in_(list(statuses)))
        .order_by(Person.id)
    )
    if unit_ids is not None:
        query = query.where(Unit.id.in_(list(unit_ids)))
    return (await session.scalars(query)).all()
