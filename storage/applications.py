"""Applications to join (art. 11)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, ApplicationStatus

OPEN = (ApplicationStatus.PENDING, ApplicationStatus.INFO_REQUESTED)


async def get(session: AsyncSession, application_id: int) -> Application | None:
    return await session.get(Application, application_id)


async def open_for_code(session: AsyncSession, code: str) -> Application | None:
    query = select(Application).where(
        Application.credit_code == code, Application.status.in_(OPEN)
    )
    return await session.scalar(query)


async def draft_of(session: AsyncSession, applicant_id: int) -> Application | None:
    query = select(Application).where(
        Application.applicant_id == applicant_id, Application.status == ApplicationStatus.DRAFT
    )
    return await session.scalar(query)


async def queue(session: AsyncSession) -> Sequence[Application]:
    """Pending applications, oldest first: the secretariat's review queue."""
    query = (
        select(Application)
        .where(Application.status == ApplicationStatus.PENDING)
        .order_by(Application.submitted_at, Application.id)
    )
    return (await session.scalars(query)).all()


async def count_pending(session: AsyncSession) -> int:
    query = select(func.count()).where(Application.status == ApplicationStatus.PENDING)
    return await session.scalar(query.select_from(Application)) or 0
