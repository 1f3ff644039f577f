"""Applications to join (art. 11)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, ApplicationStatus

OPEN = (ApplicationStatus.PENDING, ApplicationStatus.INFO_REQUESTED)
# Decided against: the sealed form is kept for the retention period, then deleted.
CLOSED = (ApplicationStatus.REJECTED,)


async def get(session: AsyncSession, application_id: int) -> Application | None:
    return await session.get(Application, application_id)


async def open_for_code(session: AsyncSession, code: str) -> Application | None:
    query = select(Application).where(
        Application.credit_code == code, Application.status.in_(OPEN)
    )
    return await session.scalar(query)


async def open_of(session: AsyncSession, applicant_id: int) -> Application | None:
    """The person's application under review, if any: a person has at most one."""
    query = select(Application).where(
        Application.applicant_id == applicant_id, Application.status.in_(OPEN)
    )
    return await session.scalar(query.limit(1))


async def sealed_form(session: AsyncSession, application_id: int) -> bytes:
    """The uploaded form itself, which no other query loads (`form_content` is deferred)."""
    query = select(Application.form_content).where(Application.id == application_id)
    return await session.scalar(query) or b""


async def purge_forms(session: AsyncSession, decided_before: datetime) -> list[int]:
    """Deletes the sealed forms of applications closed before the time; the rows stay."""
    query = select(Application.id).where(
        Application.status.in_(CLOSED),
        Application.decided_at < decided_before,
        func.length(Application.form_content) > 0,
    )
    ids = list((await session.scalars(query.order_by(Application.id))).all())
    if ids:
        emptied = update(Application).where(Application.id.in_(ids))
        await session.execute(emptied.values(form_content=b"", form_file_id=""))
    return ids


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
