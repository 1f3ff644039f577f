"""Processed update keys: the record that makes handling idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def claim(session: AsyncSession, key: str, now: datetime) -> bool:
    """Records the update key; False when it was handled before, or is being handled now.

    A copy arriving while the first is still in its transaction waits on the key's lock and
    then fails the primary key, which means the same: already handled.
    """
    try:
        async with session.begin_nested():
            session.add(ProcessedUpdate(key=key, processed_at=now))
    except IntegrityError:
        return False
    return True


async def forget_before(session: AsyncSession, moment: datetime) -> None:
    """Drops keys old enough that Telegram will never redeliver them."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
