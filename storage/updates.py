"""Processed update keys: the record that makes handling idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import INSERTS
from storage.inbox_models import InboundUpdate
from storage.models import ProcessedUpdate

_KEYS = ProcessedUpdate.__table__
# Built once, on the table: every update runs it, and a statement made anew each time costs
# SQLAlchemy its construction and cache key again (with the ORM's insert path, a third of
# the claim's CPU); the values are bound at execution.
_CLAIM = {
    name: insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key)
    for name, insert in INSERTS.items()
}
_INBOX = InboundUpdate.__table__
_FORGET = delete(_INBOX).where(_INBOX.c.key == bindparam("key"))


async def claim(session: AsyncSession, key: str, now: datetime) -> bool:
    """Records the update key; False when it was handled before, or is being handled now.

    One statement, which writes first (on SQLite the transaction takes the write lock here).
    A copy arriving while the first is still in its transaction waits on the key's lock and
    then finds it taken, which means the same: already handled.

    The polled update's copy in the inbox goes in the same transaction: a handled update
    keeps its key only, never its content (a button's data can be a secret ballot's choice);
    if the handling rolls back, the copy stays for a replay.
    """
    claimed = await session.execute(
        _CLAIM[session.bind.dialect.name], {"key": key, "processed_at": now}
    )
    await session.execute(_FORGET, {"key": key})
    return claimed.scalar() is not None


async def forget_before(session: AsyncSession, moment: datetime) -> None:
    """Drops keys old enough that Telegram will never redeliver them."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment))
