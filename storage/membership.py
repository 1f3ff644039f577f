"""Queries over discipline, withdrawals, participation, projects and contact invitations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DisciplineRecord,
    Participation,
    ProjectFiling,
    Unit,
    UnitStatus,
    Withdrawal,
)


async def discipline_of(session: AsyncSession, unit_id: int) -> Sequence[DisciplineRecord]:
    query = select(DisciplineRecord).where(DisciplineRecord.unit_id == unit_id)
    return (await session.scalars(query.order_by(DisciplineRecord.id))).all()


async def open_suspension(session: AsyncSession, unit_id: int) -> DisciplineRecord | None:
    query = select(DisciplineRecord).where(
        DisciplineRecord.unit_id == unit_id,
        DisciplineRecord.measure == "suspension",
        DisciplineRecord.lifted_at.is_(None),
    )
    return await session.scalar(query)


async def pending_withdrawal(session: AsyncSession, unit_id: int) -> Withdrawal | None:
    query = select(Withdrawal).where(
        Withdrawal.unit_id == unit_id,
        Withdrawal.taken_back_at.is_(None),
        Withdrawal.completed_at.is_(None),
    )
    return await session.scalar(query)


async def withdrawals_due(session: AsyncSession, today: date) -> Sequence[Withdrawal]:
    query = select(Withdrawal).where(
        Withdrawal.effective_on <= today,
        Withdrawal.taken_back_at.is_(None),
        Withdrawal.completed_at.is_(None),
    )
    return (await session.scalars(query.order_by(Withdrawal.id))).all()


async def last_participation(session: AsyncSession) -> dict[int, date]:
    """Each unit's latest participation date (units with none are absent)."""
    latest = func.max(Participation.on)
    query = select(Participation.unit_id, latest).group_by(Participation.unit_id)
    return {unit_id: on for unit_id, on in (await session.execute(query)).all()}


async def units_subject_to_inactivity(session: AsyncSession) -> Sequence[Unit]:
    query = select(Unit).where(Unit.status.in_([UnitStatus.MEMBER, UnitStatus.SUSPENDED]))
    return (await session.scalars(query.order_by(Unit.id))).all()


async def project(session: AsyncSession, project_id: int) -> ProjectFiling | None:
    return await session.get(ProjectFiling, project_id)
