"""Processed update keys: the record that makes handling idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import ProcessedUpdate


async def claim(session: AsyncSession, key: str, now: datetime) -> bool:
    """Records the update key; False when it was handled before, or is being handled now.

    One statement, which writes first (on SQLite the transaction takes the write lock here).
    A copy arriving while the first is still in its transaction waits on the key's lock and
    then finds it taken, which means the same: already handled.
    """
    statement = (
        insert_ignoring_conflicts(session, ProcessedUpdate)
        .values(key=key, processed_at=now)
        .returning(ProcessedUpdate.key)
    )
    return (await session.execute(statement)).scalar() is not None


async def forget_before(session: AsyncSession, moment: datetime) -> None:
    """Drops keys old enough that Telegram will never redeliver them."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
