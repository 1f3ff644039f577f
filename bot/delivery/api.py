"""What handlers and the dispatch call to send to other people: one message, or a broadcast.

Each call only writes outbox rows in the caller's transaction: if the change that causes the
message rolls back, so does the message; once it commits, a worker delivers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.content import columns, parts
from bot.protocol import Reply
from storage import outbox
from storage.models import DeliveryBatch


async def notify(
    session: AsyncSession,
    reply: Reply,
    *,
    purpose: str,
    now: datetime,
    not_before: datetime | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Queues one message to `reply.chat_id`, ahead of broadcasts; False if a message with
    the same `dedup_key` was queued before."""
    messages = messages_for(reply, purpose=purpose, not_before=not_before, dedup_key=dedup_key)
    return any(await outbox.add_all(session, messages, now))


def messages_for(
    reply: Reply,
    *,
    purpose: str,
    not_before: datetime | None = None,
    dedup_key: str | None = None,
) -> list[outbox.NewMessage]:
    """The outbox messages that carry `reply` to `reply.chat_id`, one per part; a part after
    the first gets its own dedup key."""
    assert reply.chat_id is not None, "a notification names its chat"
    return [
        outbox.NewMessage(
            reply.chat_id,
            columns(part),
            purpose,
            dedup_key if dedup_key is None or number == 0 else f"{dedup_key}:{number}",
            not_before,
        )
        for number, part in enumerate(parts(reply))
    ]


async def broadcast(
    session: AsyncSession,
    replies: Iterable[Reply],
    *,
    title: str,
    purpose: str,
    starter_chat_id: int,
    locale: str,
    now: datetime,
) -> DeliveryBatch:
    """Queues one message per reply (each names its chat) as a batch whose progress, and
    then final report, go to `starter_chat_id` in `locale`."""
    batch = await outbox.start_batch(
        session,
        title=title,
        purpose=purpose,
        starter_chat_id=starter_chat_id,
        locale=locale,
        now=now,
    )
    messages = [(_chat(reply), columns(part)) for reply in replies for part in parts(reply)]
    await outbox.add_to_batch(session, batch, messages, now)
    return batch


async def defer_other_chats(
    session: AsyncSession, replies: Sequence[Reply], own_chat_id: int, now: datetime
) -> list[Reply]:
    """Queues the replies meant for other chats; returns those the engine answers directly.

    The dispatch calls this in the update's transaction, so a message to another person is
    sent only if the change behind it commits, and an interactive answer never waits
    behind a broadcast.
    """
    own = []
    for reply in replies:
        if reply.chat_id in (None, own_chat_id):
            own.append(reply)
        else:
            await notify(session, reply, purpose="notification", now=now)
    return own


def _chat(reply: Reply) -> int:
    assert reply.chat_id is not None, "each message of a broadcast names its chat"
    return reply.chat_id
