"""Personal data (PIPL art. 45, 47): who may see a contact's phone and e-mail, everything the
bot holds about one person as a JSON document, and its erasure.

Erasure replaces a person's personal data — name, phone, e-mail, Telegram id, language,
forms, free text quoting them — with a pseudonym (`erased#<person id>`), in one transaction.
What the center must keep stays, pseudonymous: the person's row and id (so the audit log's
actor ids, votes, signups and attendance still count), the audit log's rows in number and
order. The audit log and the document access log are append-only; their free-text columns are
rewritten through the one recorded path their triggers allow (storage/privacy_models.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.privacy import ContactFate, Viewer, contact_after_erasure
from bot.delivery import api as delivery
from bot.errors import DomainError
from bot.i18n import N_, Catalogs
from bot.services import notify
from storage import audit, people, units
from storage import privacy as stored
from storage.models import Contact, DeliveryStatus, Person, ReminderStatus, Role, Unit

PSEUDONYM = "erased#{id}"
SHORTEST = 2  # a two-character Chinese name is a name; one character is not
NO_SUCH_PERSON = N_("No such person.")


async def viewer(session: AsyncSession, person_id: int, roles: frozenset[Role]) -> Viewer:
    """The person as a viewer of personal data: their roles, and their unit if a contact."""
    found = await units.of_person(session, person_id)
    return Viewer(person_id, roles, found[0].id if found else None)


async def find_person(
    session: AsyncSession, telegram_id: int | None = None, person_id: int | None = None
) -> Person:
    """The person by Telegram user id, or by the bot's own id (`--person`)."""
    if person_id is not None:
        found = await session.get(Person, person_id)
    else:
        found = await people.by_telegram_id(session, telegram_id) if telegram_id else None
    if found is None:
        raise DomainError(NO_SUCH_PERSON)
    return found


def pseudonym(person: Person) -> str:
    return PSEUDONYM.format(id=person.id)


def scrub(value: Any, strings: Sequence[str], replacement: str) -> Any:
    """`value` (JSON-like) with every occurrence of `strings` in its texts replaced; keys and
    non-text values are left as they are, so ids, counts and choices survive."""
    if isinstance(value, str):
        for string in strings:
            value = value.replace(string, replacement)
        return value
    if isinstance(value, list):
        return [scrub(item, strings, replacement) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, strings, replacement) for key, item in value.items()}
    return value


def personal_strings(values: Iterable[str | None]) -> list[str]:
    """The texts to look for, longest first (so a name inside a longer text goes whole)."""
    found = {v.strip() for v in values if v and len(v.strip()) >= SHORTEST}
    return sorted(found, key=lambda s: (-len(s), s))


async def _strings_of(session: AsyncSession, person: Person) -> list[str]:
    values: list[str | None] = [person.display_name]
    for contact in await stored.contacts(session, person.id):
        values += [contact.name, contact.phone, contact.email]
    for application in await stored.applications(session, person.id):
        values += [application.contact_name, application.phone, application.email]
    for seat in await stored.seats(session, person.id):
        values.append(seat.name)
    for row in await stored.attendance(session, person.id, []):
        values.append(row.representative_name)
    for delivery_row in await stored.deliveries(session, person.id):
        values.append(delivery_row.person_name)
    return personal_strings(values)


# -- export -------------------------------------------------------------------------------------


async def export_person(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything the bot holds about the person (PIPL art. 45), as JSON-ready data."""
    strings = await _strings_of(session, person)
    contacts = await stored.contacts(session, person.id)
    seats = await stored.seats(session, person.id)
    seat_ids = [s.id for s in seats]
    conversation = await stored.conversation(session, person.id)
    return {
        "person": stored.plain(person),
        "contacts": [await _contact(session, c) for c in contacts],
        "role_grants": [stored.plain(g) for g in await stored.role_grants(session, person.id)],
        "applications": [stored.plain(a) for a in await stored.applications(session, person.id)],
        "event_signups": [stored.plain(s) for s in await stored.signups(session, person.id)],
        "seats": [stored.plain(s) for s in seats],
        "attendance": [
            stored.plain(a) for a in await stored.attendance(session, person.id, seat_ids)
        ],
        "votes": [stored.plain(v) for v in await stored.open_votes(session, person.id)],
        "document_deliveries": [
            stored.plain(d) for d in await stored.deliveries(session, person.id)
        ],
        "invitations": [
            stored.plain(i, leave_out=("token",))
            for i in await stored.invitations(session, person.id, [c.id for c in contacts])
        ],
        "reminders": [stored.plain(r) for r in await stored.reminders(session, person)],
        "form_in_progress": stored.plain(conversation) if conversation else None,
        "audit_log": [stored.plain(e) for e in await _audit_about(session, person, strings)],
        "messages_to_them": [
            {"at": m.created_at.isoformat(), "status": m.status.value, "text": m.text}
            for m in await stored.outbox_to(session, person.chat_id)
        ],
        "erasures": [stored.plain(e) for e in await stored.erasures_of(session, person.id)],
    }


async def _contact(session: AsyncSession, contact: Contact) -> dict[str, Any]:
    unit = await units.get(session, contact.unit_id)
    return {**stored.plain(contact), "unit_name": unit.name if unit else ""}


async def _audit_about(session: AsyncSession, person: Person, strings: Sequence[str]) -> list:
    """Entries by the person, about them (as subject or named in the details), or quoting them."""
    subject = f"person:{person.id}"
    return [
        entry
        for entry in await stored.audit_entries(session)
        if entry.actor_id == person.id
        or entry.subject == subject
        or entry.details.get("person") == person.id
        or scrub([entry.details, entry.note], strings, "") != [entry.details, entry.note]
    ]


# -- erasure ------------------------------------------------------------------------------------


@dataclass
class Erased:
    """What an erasure did, for the command line and the secretariat."""

    person_id: int
    erasure_id: int
    summary: dict[str, int] = field(default_factory=dict)
    units_without_contact: list[Unit] = field(default_factory=list)
    active_seats: list[int] = field(default_factory=list)


async def erase_person(
    session: AsyncSession,
    person: Person,
    actor_id: int | None,
    now: datetime,
    catalogs: Catalogs,
) -> Erased:
    """Replaces the person's personal data with a pseudonym everywhere, in the caller's
    transaction; tells the secretariat when a unit is left without a contact (art. 14(8))."""
    strings, name = await _strings_of(session, person), pseudonym(person)
    erasure = await stored.open_erasure(session, person.id, actor_id, now)
    done = Erased(person.id, erasure.id)
    count = done.summary
    count["audit_log"] = await _erase_logs(session, erasure, person, strings, name)
    count["invitations"] = await _erase_invitations(session, person, name)
    done.units_without_contact = await _erase_contacts(session, person, name)
    count["applications"] = await _erase_applications(session, person, strings, name)
    done.active_seats = await _erase_seats(session, person, strings, name)
    count["messages"] = await _erase_messages(session, person, strings, name, now)
    count["reminders"] = await _erase_reminders(session, person, strings, name)
    count["role_grants"] = len(await stored.role_grants(session, person.id))
    for grant in await stored.role_grants(session, person.id):
        await session.delete(grant)
    if (conversation := await stored.conversation(session, person.id)) is not None:
        await session.delete(conversation)
    await stored.forget_chat(session, person.chat_id, -person.id)
    person.display_name, person.language_code, person.locale = name, None, None
    person.telegram_id = person.chat_id = -person.id  # Telegram's user ids are positive
    await stored.close_erasure(session, erasure, count, now)
    await audit.record(
        session, now, actor_id, "person.erase", f"person:{person.id}", erasure=erasure.id
    )
    await _tell_secretariat(session, catalogs, done, now)
    return done


async def _erase_logs(
    session: AsyncSession, erasure: Any, person: Person, strings: Sequence[str], name: str
) -> int:
    """The two append-only logs, through their recorded path: same rows, same order."""
    rewritten = 0
    for entry in await stored.audit_entries(session):
        details, note = scrub(entry.details, strings, name), scrub(entry.note, strings, name)
        if details != entry.details or note != entry.note:
            await stored.redact(session, erasure, entry)
            entry.details, entry.note = details, note
            rewritten += 1
    for row in await stored.deliveries(session, person.id):
        if row.person_name != name:
            await stored.redact(session, erasure, row)
            row.person_name = name
    return rewritten


async def _erase_contacts(session: AsyncSession, person: Person, name: str) -> list[Unit]:
    """Art. 14(8): a removed contact, or a blank one when it was the unit's only contact."""
    left_without: list[Unit] = []
    for contact in await stored.contacts(session, person.id):
        others = [
            c
            for c in await units.contacts_of(session, contact.unit_id)
            if c.id != contact.id and c.person_id is not None
        ]
        if contact_after_erasure(len(others)) is ContactFate.REMOVE:
            await session.delete(contact)
            await session.flush()
            if contact.is_main:
                others[0].is_main = True
            continue
        contact.person_id, contact.name, contact.phone, contact.email = None, name, "", ""
        unit = await units.get(session, contact.unit_id)
        if unit is not None:
            left_without.append(unit)
    return left_without


async def _erase_applications(
    session: AsyncSession, person: Person, strings: Sequence[str], name: str
) -> int:
    found = await stored.applications(session, person.id)
    for a in found:
        a.contact_name, a.phone, a.email = name, "", ""
        a.form_name, a.form_file_id, a.form_content = name, "", b""  # the sealed form names them
        a.exchange = scrub(a.exchange, strings, name)
        a.reason = scrub(a.reason, strings, name)
    return len(found)


async def _erase_seats(
    session: AsyncSession, person: Person, strings: Sequence[str], name: str
) -> list[int]:
    """Names copied onto seats and attendance; the records themselves (art. 19) stay."""
    seats = await stored.seats(session, person.id)
    for seat in seats:
        seat.name = name
    for row in await stored.attendance(session, person.id, [s.id for s in seats]):
        if row.representative_id == person.id:
            row.representative_name = name
        row.leave_reason = scrub(row.leave_reason, strings, name)
    return [s.id for s in seats if s.ended_at is None]


async def _erase_messages(
    session: AsyncSession, person: Person, strings: Sequence[str], name: str, now: datetime
) -> int:
    """Messages to them lose their content (unsent ones are not sent); others quoting them
    are rewritten."""
    to_them = await stored.outbox_to(session, person.chat_id)
    for message in to_them:
        message.text, message.buttons = "", []
        message.file_name = message.file_content = message.file_id = None
        if message.status is DeliveryStatus.PENDING:
            message.status, message.last_error = DeliveryStatus.FAILED, "personal data erased"
    for message in await stored.outbox_mentioning(session, strings):
        message.text = scrub(message.text, strings, name)
    return len(to_them)


async def _erase_reminders(
    session: AsyncSession, person: Person, strings: Sequence[str], name: str
) -> int:
    found = await stored.reminders(session, person)
    for reminder in found:
        if reminder.status is ReminderStatus.PENDING:
            reminder.status = ReminderStatus.CANCELLED
        reminder.payload = scrub(reminder.payload, strings, name)
        reminder.note = scrub(reminder.note, strings, name)
    return len(found)


async def _erase_invitations(session: AsyncSession, person: Person, name: str) -> int:
    contact_ids = [c.id for c in await stored.contacts(session, person.id)]
    found = await stored.invitations(session, person.id, contact_ids)
    for invitation in found:
        invitation.name, invitation.phone, invitation.email = name, "", ""
    return len(found)


async def _tell_secretariat(
    session: AsyncSession, catalogs: Catalogs, done: Erased, now: datetime
) -> None:
    """Art. 14(8): each unit left without a reachable contact must name a new one."""
    staff = await notify.secretariat(session)
    for unit in done.units_without_contact:
        what = notify.note(
            N_(
                "The personal data of {unit}'s only contact person was erased at their "
                "request. The unit must name a new contact person (art. 14(8))."
            ),
            unit=unit.name,
        )
        for reply in notify.to_people(catalogs, staff, what):
            await delivery.notify(session, reply, purpose="privacy", now=now)
