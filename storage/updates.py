"""Processed update keys: the record that makes handling idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def claim(session: AsyncSession, key: str, now: datetime) -> bool:
    """Records the update key; False when it was handled before."""
    if await session.scalar(select(ProcessedUpdate.key).where(ProcessedUpdate.key == key)):
        return False
    session.add(ProcessedUpdate(key=key, processed_at=now))
    await session.flush()
    return True


async def forget_before(session: AsyncSession, moment: datetime) -> None:
    """Drops keys old enough that Telegram will never redeliver them."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
