"""The inbox of polled updates and the dead-letter table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.inbox_models import DeadLetter, InboundUpdate
from storage.models import ProcessedUpdate


async def record(
    session: AsyncSession, updates: Sequence[tuple[str, int, dict[str, Any]]], now: datetime
) -> None:
    """Writes down (key, chat, payload) for each update, as handed over once (the batch is
    handled next); one already written is left as is.

    One statement that writes first: on SQLite a read before it could make the transaction
    fail to upgrade to a writer if another connection wrote in between.
    """
    rows = [
        {"key": key, "chat_id": chat_id, "payload": payload, "received_at": now, "attempts": 1}
        for key, chat_id, payload in {key: (key, c, p) for key, c, p in updates}.values()
    ]
    await session.execute(insert_ignoring_conflicts(session, InboundUpdate).values(rows))


async def unhandled(session: AsyncSession, since: datetime) -> list[InboundUpdate]:
    """Updates received since `since` and never handled, oldest first."""
    handled = select(ProcessedUpdate.key).where(ProcessedUpdate.key == InboundUpdate.key)
    rows = await session.scalars(
        select(InboundUpdate)
        .where(InboundUpdate.received_at >= since, ~handled.exists())
        .order_by(InboundUpdate.received_at, InboundUpdate.key)
    )
    return list(rows)


async def handing_over(session: AsyncSession, key: str) -> None:
    """Counts one more handing over of an update for handling (a replay); committed before
    the handling begins, so that a death while it is in hand is counted."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.key == key)
        .values(attempts=InboundUpdate.attempts + 1)
    )


async def forget(session: AsyncSession, key: str) -> None:
    """Drops an update once it is handled or set aside: its content is not kept."""
    await session.execute(delete(InboundUpdate).where(InboundUpdate.key == key))


async def forget_before(session: AsyncSession, moment: datetime) -> None:
    """Drops updates received before `moment`: handled, or too old to replay."""
    await session.execute(delete(InboundUpdate).where(InboundUpdate.received_at < moment))


async def set_aside(
    session: AsyncSession, key: str, chat_id: int, summary: str, error: str, now: datetime
) -> bool:
    """Keeps a failed update for the secretariat and claims its key, so neither a replay
    nor Telegram's redelivery runs it again; False if it was set aside before."""
    try:
        async with session.begin_nested():
            session.add(
                DeadLetter(
                    update_key=key,
                    chat_id=chat_id,
                    summary=summary[:200],
                    error=error,
                    failed_at=now,
                )
            )
    except IntegrityError:
        return False
    async with session.begin_nested():
        if await session.get(ProcessedUpdate, key) is None:
            session.add(ProcessedUpdate(key=key, processed_at=now))
    await forget(session, key)
    return True


async def dead_letters(session: AsyncSession, limit: int) -> list[DeadLetter]:
    rows = await session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit))
    return list(rows)
