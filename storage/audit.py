"""The append-only audit log (art. 17): every secretariat and leadership action."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def record(
    session: AsyncSession,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject: str = "",
    **details: Any,
) -> None:
    session.add(
        AuditEntry(at=at, actor_id=actor_id, action=action, subject=subject, details=details)
    )


async def recent(
    session: AsyncSession, limit: int = 20, subject: str | None = None
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return (await session.scalars(query)).all()


async def of_subject(session: AsyncSession, subject: str, action: str) -> Sequence[AuditEntry]:
    """The entries of one action about one subject, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject == subject, AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    return (await session.scalars(query)).all()
