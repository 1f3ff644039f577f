"""Messages to other people, each in the recipient's own language; audiences by role and status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.membership import HAS_RIGHTS
from bot.delivery import notes
from bot.i18n import N_, Catalogs, Translator
from bot.protocol import Button, Reply
from storage import notice_throttle, people, units
from storage.models import Person, Role

NOTICE_INTERVAL = timedelta(hours=1)
THROTTLE_KEPT = timedelta(days=2)  # a quiet person's throttle row is forgotten after this
HELD_KINDS = {
    "dead_letter": N_("Updates that failed (dead letters)"),
    "ivask": N_("Requests for a new invitation link"),
}
DIGEST = N_(
    "Notices held back since the last digest (the secretariat hears of one person at most "
    "once an hour):"
)
DIGEST_LINE = N_("{what}: {count} more, about {people} people")


@dataclass(frozen=True)
class Msg:
    """A msgid used as a parameter of another message, translated per recipient."""

    msgid: str


@dataclass(frozen=True)
class Note:
    """One message for many people: a msgid, its parameters, optional buttons (msgid labels)."""

    message: str
    params: dict[str, Any]
    buttons: tuple[tuple[str, str], ...] = ()  # (label msgid, callback data)

    def render(self, t: Translator) -> str:
        values = {
            k: t(v.msgid) if isinstance(v, Msg) else t.shown(v) for k, v in self.params.items()
        }
        return t(self.message).format(**values)


def note(message: str, buttons: Sequence[tuple[str, str]] = (), **params: Any) -> Note:
    return Note(message, params, tuple(buttons))


def to_people(catalogs: Catalogs, recipients: Iterable[Person], what: Note) -> list[Reply]:
    """The note rendered for each recipient (each person once), in their language."""
    replies = []
    for person, t in catalogs.readers(recipients):
        rows = tuple((Button(t(label), data=data),) for label, data in what.buttons)
        replies.append(Reply(what.render(t), buttons=rows, chat_id=person.chat_id))
    return replies


async def gather(
    session: AsyncSession,
    catalogs: Catalogs,
    recipients: Iterable[Person],
    what: Note,
    now: datetime,
) -> None:
    """Routine news (nothing to decide, no button) for each recipient in their language,
    sent with the rest of its minute in one message (issue 20), never one by one."""
    assert not what.buttons, "a note with buttons asks for action: it goes at once"
    await notes.gather(session, catalogs, recipients, what.render, now)


async def secretariat(session: AsyncSession) -> Sequence[Person]:
    return await people.with_roles(session, [Role.SECRETARIAT])


async def leadership(session: AsyncSession) -> Sequence[Person]:
    return await people.with_roles(session, [Role.LEADERSHIP])


async def members(session: AsyncSession) -> Sequence[Person]:
    """Contacts of every unit whose member rights are active (art. 13, 15, 16(5))."""
    return await units.contact_people(session, sorted(HAS_RIGHTS))


async def unit_contacts(session: AsyncSession, unit_id: int) -> Sequence[Person]:
    contacts = await units.contacts_of(session, unit_id)
    found = [await session.get(Person, c.person_id) for c in contacts if c.person_id is not None]
    return [p for p in found if p is not None]


# -- the throttle of notices to the secretariat ---------------------------------------------


def may_tell(last_told: datetime | None, now: datetime) -> bool:
    """DESIGN "Trust rules": the secretariat hears of one person at most once an hour per kind
    of notice, so that one person (or a forged button) cannot flood every secretariat
    account; the notices held back are counted in the daily digest."""
    return last_told is None or now - last_told >= NOTICE_INTERVAL


async def may_notify(session: AsyncSession, kind: str, telegram_id: int, now: datetime) -> bool:
    """Whether the secretariat is told now of `kind` about this person; if not, it is counted
    for the digest. Recorded in this transaction, so it holds across processes and restarts."""
    return await notice_throttle.admit(session, kind, telegram_id, now, may_tell)


async def held_digest(session: AsyncSession, catalogs: Catalogs, now: datetime) -> list[Reply]:
    """The daily digest to the secretariat of the notices held back, if there were any."""
    held = await notice_throttle.take_held(session, now, THROTTLE_KEPT)
    if not held:
        return []
    replies = []
    for person, t in catalogs.readers(await secretariat(session)):
        lines = [t(DIGEST)]
        for kind, counts in sorted(held.items()):
            what = t(HELD_KINDS[kind]) if kind in HELD_KINDS else kind
            lines.append(t(DIGEST_LINE).format(what=what, count=sum(counts), people=len(counts)))
        replies.append(Reply("\n".join(lines), chat_id=person.chat_id))
    return replies
