"""Conversation state: the form a person is filling in, kept across restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation


async def load(session: AsyncSession, person_id: int) -> Conversation | None:
    return await session.get(Conversation, person_id)


async def save(
    session: AsyncSession,
    person_id: int,
    form: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    row = await session.get(Conversation, person_id)
    if row is None:
        session.add(
            Conversation(person_id=person_id, form=form, step=step, data=data, updated_at=now)
        )
    else:
        row.form, row.step, row.data, row.updated_at = form, step, dict(data), now
    await session.flush()


async def clear(session: AsyncSession, person_id: int) -> bool:
    """Ends the person's form; True if there was one."""
    result = await session.execute(delete(Conversation).where(Conversation.person_id == person_id))
    return bool(result.rowcount)
