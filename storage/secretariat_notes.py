"""Queries of the routine notes to the secretariat that wait to be gathered into one message.

A note is written in the transaction of the change it tells of, and deleted in the
transaction that queues the message gathering it: a restart loses none and sends none twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.secretariat_notes_models import SecretariatNote


@dataclass(frozen=True)
class NewNote:
    chat_id: int
    locale: str
    text: str
    dedup_key: str | None = None


async def add(session: AsyncSession, notes: Sequence[NewNote], now: datetime) -> None:
    """Keeps the notes; one whose `dedup_key` is already waiting is not kept twice."""
    if not notes:
        return
    rows = [{**vars(note), "created_at": now} for note in notes]
    await session.execute(insert_ignoring_conflicts(session, SecretariatNote), rows)


async def waiting_since(session: AsyncSession) -> dict[int, datetime]:
    """Each chat with notes waiting, and when the oldest of them was written."""
    query = select(SecretariatNote.chat_id, func.min(SecretariatNote.created_at)).group_by(
        SecretariatNote.chat_id
    )
    return {chat: since for chat, since in (await session.execute(query)).all()}


async def take(session: AsyncSession, chat_ids: Sequence[int]) -> list[SecretariatNote]:
    """The notes waiting for these chats, oldest first, deleted: the caller queues them in
    this transaction."""
    if not chat_ids:
        return []
    query = (
        select(SecretariatNote)
        .where(SecretariatNote.chat_id.in_(chat_ids))
        .order_by(SecretariatNote.chat_id, SecretariatNote.id)
        .with_for_update()
    )
    taken = list((await session.scalars(query)).all())
    ids = [note.id for note in taken]
    await session.execute(delete(SecretariatNote).where(SecretariatNote.id.in_(ids)))
    return taken
