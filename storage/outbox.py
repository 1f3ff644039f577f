"""The outbox: messages waiting to be sent, who is sending them, and how far broadcasts are.

A row is claimed (status `sending`, `claimed_by` a worker) before its send and recorded
after it. Claims skip rows another transaction has locked (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite runs one process and ignores the clause), so two workers never hold the
same row. Nothing here commits: the worker decides each transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DeliveryBatch,
    DeliveryStatus,
    DeliveryWorker,
    OutboxMessage,
    UnreachableChat,
)

PRIORITY_PERSONAL = 0  # a message to one person: goes before any broadcast
PRIORITY_BULK = 10

_OUTBOX = OutboxMessage.__table__
KEYS_PER_QUERY = 500  # bound parameters per IN list, well inside every backend's limit


@dataclass(frozen=True)
class Counts:
    """Rows by status; `total` is every row counted, whatever its status."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    unknown: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        done = self.sent + self.unknown + self.failed + self.blocked + self.cancelled
        return self.pending + self.sending + done

    @property
    def open(self) -> int:
        """Rows still to be sent or being sent."""
        return self.pending + self.sending

    @property
    def done(self) -> int:
        return self.total - self.open


@dataclass(frozen=True)
class Update:
    """What to write on a row after an attempt (see `bot.delivery.policy.Verdict`)."""

    id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    uncertain: bool
    last_error: str | None
    message_id: int | None
    sent_at: datetime | None


# -- writing messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMessage:
    """One message to queue: its chat, its content columns, and how it is to go."""

    chat_id: int
    content: dict[str, Any]
    purpose: str
    dedup_key: str | None = None
    not_before: datetime | None = None
    priority: int = PRIORITY_PERSONAL


async def add(
    session: AsyncSession,
    chat_id: int,
    content: dict[str, Any],
    *,
    purpose: str,
    now: datetime,
    priority: int = PRIORITY_PERSONAL,
    not_before: datetime | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Queues one message; False when one with the same `dedup_key` was queued before."""
    message = NewMessage(chat_id, content, purpose, dedup_key, not_before, priority)
    return (await add_all(session, [message], now))[0]


async def add_all(
    session: AsyncSession, messages: Sequence[NewMessage], now: datetime
) -> list[bool]:
    """Queues messages in two statements however many there are (a reminder sweep's chunk);
    for each, False when one with the same `dedup_key` was queued before, or earlier in
    `messages`."""
    taken = await _taken_keys(session, [m.dedup_key for m in messages if m.dedup_key])
    added, rows = [], []
    for m in messages:
        fresh = m.dedup_key is None or m.dedup_key not in taken
        if fresh:
            row = _row(m.chat_id, m.content, m.purpose, now, m.priority, None, m.not_before)
            rows.append({**row, "dedup_key": m.dedup_key})
            if m.dedup_key is not None:
                taken.add(m.dedup_key)
        added.append(fresh)
    if rows:
        await session.execute(insert(OutboxMessage), rows)
    return added


async def _taken_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found = await session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(chunk))
        )
        taken.update(key for key in found if key is not None)
    return taken


async def start_batch(
    session: AsyncSession,
    *,
    title: str,
    purpose: str,
    starter_chat_id: int | None,
    locale: str | None,
    now: datetime,
) -> DeliveryBatch:
    batch = DeliveryBatch(
        title=title[:256],
        purpose=purpose,
        starter_chat_id=starter_chat_id,
        locale=locale,
        total=0,
        created_at=now,
    )
    session.add(batch)
    await session.flush()
    return batch


async def add_to_batch(
    session: AsyncSession,
    batch: DeliveryBatch,
    messages: Iterable[tuple[int, dict[str, Any]]],
    now: datetime,
    priority: int = PRIORITY_BULK,
) -> int:
    """Queues (chat id, content) pairs in one statement; returns how many."""
    rows = [
        _row(chat, content, batch.purpose, now, priority, batch.id, None)
        for chat, content in messages
    ]
    if rows:
        await session.execute(insert(OutboxMessage), rows)
    batch.total += len(rows)
    await session.flush()
    return len(rows)


def _row(
    chat_id: int,
    content: dict[str, Any],
    purpose: str,
    now: datetime,
    priority: int,
    batch_id: int | None,
    not_before: datetime | None,
) -> dict[str, Any]:
    return {
        **content,
        "chat_id": chat_id,
        "purpose": purpose[:64],
        "priority": priority,
        "batch_id": batch_id,
        "status": DeliveryStatus.PENDING,
        "uncertain": False,
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
    }


# -- claiming and recording -----------------------------------------------------------------------


async def claim(
    session: AsyncSession, worker: str, limit: int, now: datetime
) -> list[OutboxMessage]:
    """Marks up to `limit` due rows as being sent by `worker`; most urgent first."""
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == DeliveryStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            ~exists().where(UnreachableChat.chat_id == OutboxMessage.chat_id),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)
        .cte("due")
    )
    # The status test is repeated outside the CTE so that, should a row change between the
    # CTE's read and the update, PostgreSQL's recheck of the row skips it.
    claimed = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(due.c.id)))
        .where(OutboxMessage.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.scalars(claimed)).all()
    return sorted(rows, key=lambda r: (r.priority, r.next_attempt_at, r.id))


async def record(session: AsyncSession, worker: str, updates: Sequence[Update]) -> None:
    """Writes attempt results, in one statement, on rows `worker` still holds."""
    if not updates:
        return
    statement = (
        update(_OUTBOX)
        .where(_OUTBOX.c.id == bindparam("u_id"))
        .where(_OUTBOX.c.claimed_by == bindparam("u_worker"))
        .where(_OUTBOX.c.status == DeliveryStatus.SENDING.value)
        .values(
            status=bindparam("u_status"),
            attempts=bindparam("u_attempts"),
            next_attempt_at=bindparam("u_next"),
            uncertain=bindparam("u_uncertain"),
            last_error=bindparam("u_error"),
            message_id=bindparam("u_message_id"),
            sent_at=bindparam("u_sent_at"),
            claimed_by=None,
        )
    )
    await session.execute(statement, [_params(worker, u) for u in updates])


def _params(worker: str, u: Update) -> dict[str, Any]:
    return {
        "u_id": u.id,
        "u_worker": worker,
        "u_status": u.status.value,
        "u_attempts": u.attempts,
        "u_next": u.next_attempt_at,
        "u_uncertain": u.uncertain,
        "u_error": u.last_error,
        "u_message_id": u.message_id,
        "u_sent_at": u.sent_at,
    }


async def release(
    session: AsyncSession, worker: str, rows: Sequence[tuple[int, datetime]]
) -> None:
    """Gives back rows claimed but never sent: (id, when it may be claimed again)."""
    if not rows:
        return
    statement = (
        update(_OUTBOX)
        .where(_OUTBOX.c.id == bindparam("u_id"), _OUTBOX.c.claimed_by == worker)
        .where(_OUTBOX.c.status == DeliveryStatus.SENDING.value)
        .values(
            status=DeliveryStatus.PENDING.value,
            claimed_by=None,
            next_attempt_at=bindparam("u_at"),
        )
    )
    await session.execute(statement, [{"u_id": id_, "u_at": at} for id_, at in rows])


async def defer_chat(session: AsyncSession, chat_id: int, until: datetime) -> None:
    """Holds a chat's pending rows until `until` (a 429 for that chat), for every worker."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id)
        .where(OutboxMessage.status == DeliveryStatus.PENDING)
        .where(OutboxMessage.next_attempt_at < until)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )


# -- workers and crash recovery -------------------------------------------------------------------


async def heartbeat(session: AsyncSession, worker: str, now: datetime) -> None:
    """Records that `worker` is alive (registering it when it is new or was given up)."""
    seen = await session.execute(
        update(DeliveryWorker).where(DeliveryWorker.name == worker).values(seen_at=now)
    )
    if seen.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DeliveryWorker(name=worker, started_at=now, seen_at=now))
        await session.flush()


async def live_workers(session: AsyncSession, alive_since: datetime) -> int:
    """Workers that heart-beat since `alive_since`, this one included once registered."""
    alive = select(func.count()).where(DeliveryWorker.seen_at >= alive_since)
    return int(await session.scalar(alive) or 0)


async def leave(session: AsyncSession, worker: str) -> None:
    await session.execute(delete(DeliveryWorker).where(DeliveryWorker.name == worker))


async def recover(
    session: AsyncSession, me: str, alive_since: datetime, now: datetime, others_dead: bool
) -> int:
    """Takes back the rows held by dead workers; returns how many.

    Their sends may or may not have reached Telegram, so each row goes back to `pending`
    marked `uncertain`: it is sent again (nobody misses it) and reported as possibly twice.
    `others_dead` is for SQLite, where only this process can be running.
    """
    alive = select(DeliveryWorker.name).where(DeliveryWorker.seen_at >= alive_since)
    holder_dead = (
        OutboxMessage.claimed_by != me
        if others_dead
        else or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_by.not_in(alive))
    )
    taken = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == DeliveryStatus.SENDING, holder_dead)
        .values(
            status=DeliveryStatus.PENDING, uncertain=True, claimed_by=None, next_attempt_at=now
        )
        .execution_options(synchronize_session=False)
    )
    stale = DeliveryWorker.name != me if others_dead else DeliveryWorker.seen_at < alive_since
    await session.execute(delete(DeliveryWorker).where(stale))
    return int(taken.rowcount)  # type: ignore[attr-defined]


# -- unreachable chats ----------------------------------------------------------------------------


async def mark_unreachable(
    session: AsyncSession, chat_id: int, reason: str, now: datetime
) -> bool:
    """Records a chat that blocked the bot and stops its pending messages; False if known."""
    known = await session.get(UnreachableChat, chat_id) is not None
    if not known:
        session.add(UnreachableChat(chat_id=chat_id, since=now, reason=reason[:256]))
        await session.flush()
    await block_pending(session, chat_id)
    return not known


async def block_pending(session: AsyncSession, chat_id: int | None = None) -> None:
    """Marks pending rows to unreachable chats (to `chat_id` only, when given) as blocked."""
    unreachable = exists().where(UnreachableChat.chat_id == OutboxMessage.chat_id)
    statement = update(OutboxMessage).where(
        OutboxMessage.status == DeliveryStatus.PENDING, unreachable
    )
    if chat_id is not None:
        statement = statement.where(OutboxMessage.chat_id == chat_id)
    await session.execute(
        statement.values(status=DeliveryStatus.BLOCKED).execution_options(
            synchronize_session=False
        )
    )


async def mark_reachable(session: AsyncSession, chat_id: int) -> None:
    """The person wrote to the bot again, so they unblocked it: sends may resume."""
    await session.execute(delete(UnreachableChat).where(UnreachableChat.chat_id == chat_id))


async def is_unreachable(session: AsyncSession, chat_id: int) -> bool:
    return await session.get(UnreachableChat, chat_id) is not None


# -- progress -------------------------------------------------------------------------------------


async def counts(session: AsyncSession, batch_id: int | None = None) -> Counts:
    """Rows by status, of one batch or of the whole outbox: the delivery invariant's query."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if batch_id is not None:
        query = query.where(OutboxMessage.batch_id == batch_id)
    by_status = {DeliveryStatus(s).value: n for s, n in (await session.execute(query)).all()}
    return Counts(**by_status)


async def claim_progress(
    session: AsyncSession, now: datetime, last_before: datetime, limit: int = 20
) -> list[DeliveryBatch]:
    """Unfinished batches whose progress was last shown before `last_before`, now taken."""
    due = (
        select(DeliveryBatch.id)
        .where(DeliveryBatch.finished_at.is_(None))
        .where(or_(DeliveryBatch.progress_at.is_(None), DeliveryBatch.progress_at < last_before))
        .order_by(DeliveryBatch.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due_batches")
    )
    taken = (
        update(DeliveryBatch)
        .where(DeliveryBatch.id.in_(select(due.c.id)))
        .values(progress_at=now)
        .returning(DeliveryBatch)
        .execution_options(synchronize_session=False)
    )
    return sorted((await session.scalars(taken)).all(), key=lambda b: b.id)


async def open_batches(session: AsyncSession) -> int:
    """Broadcasts not yet finished and reported."""
    query = select(func.count()).where(DeliveryBatch.finished_at.is_(None))
    return int(await session.scalar(query) or 0)


async def finish_batch(session: AsyncSession, batch_id: int, now: datetime) -> None:
    await session.execute(
        update(DeliveryBatch).where(DeliveryBatch.id == batch_id).values(finished_at=now)
    )


async def cancel_batch(session: AsyncSession, batch_id: int) -> int:
    """Stops a broadcast: its rows not yet claimed are never sent; those being sent finish.
    Returns how many were stopped."""
    stopped = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.batch_id == batch_id)
        .where(OutboxMessage.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(stopped.rowcount)  # type: ignore[attr-defined]


async def set_progress_message(session: AsyncSession, batch_id: int, message_id: int) -> None:
    await session.execute(
        update(DeliveryBatch)
        .where(DeliveryBatch.id == batch_id)
        .values(progress_message_id=message_id)
    )


async def failure_reasons(
    session: AsyncSession, batch_id: int, limit: int
) -> list[tuple[str, int]]:
    """Why a batch's failed messages failed (the last error), the commonest first."""
    reason = func.coalesce(OutboxMessage.last_error, "")
    rows = await session.execute(
        select(reason, func.count())
        .where(OutboxMessage.batch_id == batch_id)
        .where(OutboxMessage.status == DeliveryStatus.FAILED)
        .group_by(reason)
        .order_by(func.count().desc(), reason)
        .limit(limit)
    )
    return [(str(text), int(n)) for text, n in rows.all()]


async def blocked_chats(session: AsyncSession, batch_id: int, limit: int) -> list[int]:
    """Chats of a batch that blocked the bot, for the final report."""
    query = (
        select(OutboxMessage.chat_id)
        .where(OutboxMessage.batch_id == batch_id)
        .where(OutboxMessage.status == DeliveryStatus.BLOCKED)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
