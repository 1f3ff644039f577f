"""The names a secretariat prints for people: the roster's, not Telegram's.

A person's display name is whatever they typed into Telegram ("建国", "Jing C."); the roster
holds the name the unit gave the secretariat (王建国): as a contact (art. 14(8)) or as a seat
holder (art. 19). Lists, exports and notes use the roster's name, with the display name beside
it only when the two differ, so a secretary can still match the person in a chat.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.meetings_models import Seat
from storage.models import Contact, Person


def printed_name(roster_name: str | None, display_name: str, telegram_id: int) -> str:
    """`王建国 (建国)`, `王建国`, or the display name (or `#id`) of someone not on the roster."""
    shown = display_name.strip()
    roster = (roster_name or "").strip()
    if not roster:
        return shown or f"#{telegram_id}"
    if not shown or shown == roster:
        return roster
    return f"{roster} ({shown})"


async def roster_names(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """The roster's name of each person who has one: a contact's, else an active seat's."""
    ids = set(person_ids)
    if not ids:
        return {}
    seats = await session.execute(
        select(Seat.person_id, Seat.name).where(Seat.person_id.in_(ids), Seat.ended_at.is_(None))
    )
    contacts = await session.execute(
        select(Contact.person_id, Contact.name).where(Contact.person_id.in_(ids))
    )
    # A contact's record wins over a seat's: it is the one the person keeps up to date.
    return {**dict(seats.all()), **dict(contacts.all())}


async def printed_names(session: AsyncSession, people: Iterable[Person]) -> dict[int, str]:
    """`printed_name` of each person, by person id, in two queries for the whole list."""
    people = list(people)
    roster = await roster_names(session, (p.id for p in people))
    return {p.id: printed_name(roster.get(p.id), p.display_name, p.telegram_id) for p in people}


async def printed_name_of(session: AsyncSession, person: Person) -> str:
    return (await printed_names(session, [person]))[person.id]
