"""Reminders: things to send at a set time, kept in the database so restarts lose none.

Due reminders are claimed with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite runs one
process), so two instances never fire the same one; the dedup key makes scheduling
idempotent. Nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reminder, ReminderStatus, Role

_REARMABLE = (ReminderStatus.PENDING, ReminderStatus.CANCELLED)


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    due_at: datetime,
    dedup_key: str,
    now: datetime,
    person_id: int | None = None,
    chat_id: int | None = None,
    role: Role | None = None,
    payload: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    subject: str | None = None,
    replace: bool = True,
) -> Reminder:
    """Creates the reminder for `dedup_key`, or — with `replace` — moves a pending or
    cancelled one to the new time (an event moved). One already sent is left as it is.

    `subject` names the thing reminded of, for this audience: reminders with the same subject
    stand in for one another, so when several are due only the latest is sent (a meeting's
    1-day and 1-hour reminders after a restart)."""
    existing = await by_key(session, dedup_key)
    if existing is None:
        reminder = Reminder(
            kind=kind,
            person_id=person_id,
            chat_id=chat_id,
            role=role,
            due_at=due_at,
            expires_at=expires_at,
            payload=payload or {},
            dedup_key=dedup_key,
            subject=subject,
            status=ReminderStatus.PENDING,
            created_at=now,
            note="",
        )
        session.add(reminder)
        await session.flush()
        return reminder
    if replace and existing.status in _REARMABLE:
        existing.due_at, existing.expires_at = due_at, expires_at
        existing.payload, existing.status = payload or {}, ReminderStatus.PENDING
        existing.subject = subject
        await session.flush()
    return existing


async def by_key(session: AsyncSession, dedup_key: str) -> Reminder | None:
    return await session.scalar(select(Reminder).where(Reminder.dedup_key == dedup_key))


async def cancel(session: AsyncSession, dedup_key: str, now: datetime) -> bool:
    """Cancels a pending reminder (the event was called off); False if there was none."""
    cancelled = await session.execute(
        update(Reminder)
        .where(Reminder.dedup_key == dedup_key, Reminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.CANCELLED, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(cancelled.rowcount)  # type: ignore[attr-defined]


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Reminder]:
    """Takes up to `limit` due reminders, marking them done; the caller may then drop some.

    The claim is the transaction's first statement and a write, so on SQLite it takes the
    write lock at once rather than failing to upgrade a read lock.
    """
    due = (
        select(Reminder.id)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due_reminders")
    )
    taken = (
        update(Reminder)
        .where(Reminder.id.in_(select(due.c.id)))
        .where(Reminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.DONE, done_at=now)
        .returning(Reminder)
        .execution_options(synchronize_session=False)
    )
    return sorted((await session.scalars(taken)).all(), key=lambda r: (r.due_at, r.id))


async def latest_due(
    session: AsyncSession, subjects: Iterable[str], now: datetime
) -> dict[str, datetime]:
    """The due time of the latest reminder of each subject that is due by `now`, pending or
    claimed (those of this sweep are claimed already): one statement for a whole chunk."""
    wanted = set(subjects)
    if not wanted:
        return {}
    latest = (
        select(Reminder.subject, func.max(Reminder.due_at))
        .where(Reminder.subject.in_(wanted), Reminder.due_at <= now)
        .where(Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.DONE)))
        .group_by(Reminder.subject)
    )
    return {subject: due for subject, due in (await session.execute(latest)).all()}


def drop(reminder: Reminder, note: str) -> None:
    """Marks a claimed reminder as not sent, saying why."""
    reminder.status = ReminderStatus.DROPPED
    reminder.note = note[:256]


async def try_lock(session: AsyncSession, name: str) -> bool:
    """Takes a PostgreSQL advisory lock for this transaction, so a periodic job runs on one
    instance only; False when another holds it. SQLite runs one process: always True."""
    if session.bind.dialect.name != "postgresql":
        return True
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(name)))))


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
