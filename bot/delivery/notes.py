"""Routine notes to the secretariat, gathered: one message a minute to each member (issue 20).

News that asks nothing of the secretariat (an invitation accepted, someone blocked the bot)
is kept in `secretariat_notes`, already in each member's language, in the transaction of the
change it tells of. A job (bot/reminders/scheduler.py) queues one message per member listing
what gathered, ahead of any broadcast (a personal message), and deletes the notes in the same
transaction. Notes that call for action or warn of a fault (dead letters, new applications,
requests with buttons) still go at once, one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import api
from bot.i18n import Catalogs, Translator
from bot.protocol import Reply
from storage import secretariat_notes
from storage.models import Person
from storage.secretariat_notes import NewNote
from storage.secretariat_notes_models import SecretariatNote

PURPOSE = "secretariat-notes"
GATHER = timedelta(minutes=1)


def gathering_due(oldest: datetime, now: datetime) -> bool:
    """Issue 20: a secretariat member hears of routine events at most once a minute, so a
    member's notes go when the oldest has waited a minute, with all that came since."""
    return now - oldest >= GATHER


async def gather(
    session: AsyncSession,
    catalogs: Catalogs,
    recipients: Iterable[Person],
    render: Callable[[Translator], str],
    now: datetime,
    dedup_key: str | None = None,
) -> None:
    """Keeps a routine note for each recipient (each once), in their language, to go out
    with the others of its minute."""
    notes = []
    for person, t in catalogs.readers(recipients):
        key = f"{dedup_key}:{person.chat_id}" if dedup_key else None
        notes.append(NewNote(person.chat_id, t.locale, render(t), key))
    await secretariat_notes.add(session, notes, now)


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """Whether a gathering message is due for anyone: a read, before taking a write lock."""
    waiting = await secretariat_notes.waiting_since(session)
    return any(gathering_due(oldest, now) for oldest in waiting.values())


async def queue_due(session: AsyncSession, catalogs: Catalogs, now: datetime) -> int:
    """Queues each due member's gathering message and forgets its notes, in this transaction;
    returns how many messages were queued."""
    waiting = await secretariat_notes.waiting_since(session)
    due = [chat for chat, oldest in waiting.items() if gathering_due(oldest, now)]
    by_chat: dict[int, list[SecretariatNote]] = {}
    for note in await secretariat_notes.take(session, due):
        by_chat.setdefault(note.chat_id, []).append(note)
    for chat_id, notes in by_chat.items():
        t = catalogs.translator(notes[-1].locale)
        reply = Reply(listing(t, notes), chat_id=chat_id)
        await api.notify(session, reply, purpose=PURPOSE, now=now, dedup_key=_key(notes))
    return len(by_chat)


def listing(t: Translator, notes: Sequence[SecretariatNote]) -> str:
    """One note as it is; several under a heading that counts them, each with its time."""
    if len(notes) == 1:
        return notes[0].text
    head = t.nt(
        "{count} note for your information:", "{count} notes for your information:", len(notes)
    ).format(count=len(notes))
    return "\n".join([head, *(f"• {t.time(note.created_at)} {note.text}" for note in notes)])


def _key(notes: Sequence[SecretariatNote]) -> str:
    return f"{PURPOSE}:{notes[0].chat_id}:{notes[-1].id}"
