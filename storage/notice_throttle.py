"""Queries of the notice throttle: shared by every process through the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.notice_throttle_models import NoticeThrottle

Rule = Callable[[datetime | None, datetime], bool]  # (last told, now) -> may tell now


async def admit(session: AsyncSession, kind: str, subject: int, now: datetime, rule: Rule) -> bool:
    """Whether this notice goes out now (and is recorded as told), or is held and counted.
    The row is locked, so that two processes do not both tell (PostgreSQL; SQLite writes
    one at a time)."""
    key = (kind, subject)
    row = await session.get(NoticeThrottle, key, with_for_update=True)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(NoticeThrottle(kind=kind, subject=subject, told_at=now, held=0))
            return rule(None, now)
        except IntegrityError:  # another process told just now
            row = await session.get(
                NoticeThrottle, key, with_for_update=True, populate_existing=True
            )
            assert row is not None
    if rule(row.told_at, now):
        row.told_at = now
        return True
    row.held += 1
    return False


async def take_held(session: AsyncSession, now: datetime, keep: timedelta) -> dict[str, list[int]]:
    """The counts held back since the last digest, by kind (one count per person), reset to
    zero; rows with nothing held and told longer than `keep` ago are forgotten."""
    rows = await session.scalars(
        select(NoticeThrottle)
        .where(NoticeThrottle.held > 0)
        .order_by(NoticeThrottle.kind, NoticeThrottle.subject)
        .with_for_update()
    )
    held: dict[str, list[int]] = {}
    for row in rows:
        held.setdefault(row.kind, []).append(row.held)
        row.held = 0
    await session.flush()
    await session.execute(
        delete(NoticeThrottle).where(NoticeThrottle.held == 0, NoticeThrottle.told_at < now - keep)
    )
    return held
