"""Personal data (PIPL art. 45, 47): who may see a contact's phone and e-mail, everything the
bot holds about one person as a JSON document, and its erasure.

Erasure replaces a person's personal data — name, phone, e-mail, Telegram id, language,
forms, free text quoting them — with a pseudonym (`erased#<person id>`), in one transaction.
It touches only rows tied to the person by id (`Ties`): their own records, and the free text
the system wrote about them — audit entries they made or that name them, their application,
seat, contact or invitation by id. A row that merely contains the same characters (another
unit called like the person's display name) is never rewritten.
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
from storage.models import AuditEntry, Contact, DeliveryStatus, Person, ReminderStatus, Role, Unit
from storage.privacy_models import Consent, ErasureRequest

PSEUDONYM = "erased#{id}"
SHORTEST = 2  # a two-character Chinese name is a name; one character is not
NO_SUCH_PERSON = N_("No such person.")
ALREADY_REQUESTED = N_("Your request for erasure is already with the secretariat.")
ALREADY_DECIDED = N_("This request has already been dealt with.")
# The privacy notice shown before the first personal field (PIPL art. 17); a new wording gets
# a new version, and each consent records the version it was given to.
PRIVACY_NOTICE_VERSION = "2026-12"
PRIVACY_NOTICE = N_(
    "Personal data notice (version {version})\n"
    "What: the contact person's name, phone and e-mail, your Telegram id and display name, "
    "and the sealed application form.\n"
    "Why: to review the application and, once the unit is a member, to reach its contact "
    "person (art. 14(8)).\n"
    "Who sees it: the secretariat, the unit's own contacts and you; nobody else.\n"
    "How long: while the unit is a member, or until you ask for erasure; what the charter "
    "requires to be kept (votes, attendance, the audit log) stays under a pseudonym.\n"
    "Your rights: /mydata sends you everything held about you and lets you ask for its "
    "erasure.\n"
    "Do you agree to this use of your personal data?"
)


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


async def _identifiers_of(session: AsyncSession, person: Person) -> list[str]:
    """The person's phone numbers and e-mail addresses: a text quoting one is about them."""
    values: list[str | None] = []
    for contact in await stored.contacts(session, person.id):
        values += [contact.phone, contact.email]
    for application in await stored.applications(session, person.id):
        values += [application.phone, application.email]
    return personal_strings(values)


@dataclass(frozen=True)
class Ties:
    """The ids that make an audit entry the person's: entries they made, or whose subject or
    details name them or one of their own records. Never a search for their name."""

    person_id: int
    subjects: frozenset[str]
    detail_ids: dict[str, frozenset[int]]

    def about(self, entry: AuditEntry) -> bool:
        if entry.actor_id == self.person_id or entry.subject in self.subjects:
            return True
        details = entry.details if isinstance(entry.details, dict) else {}
        for key, ids in self.detail_ids.items():
            value = details.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value in ids:
                return True
        return False


async def ties_of(session: AsyncSession, person: Person) -> Ties:
    applications = [a.id for a in await stored.applications(session, person.id)]
    contacts = [c.id for c in await stored.contacts(session, person.id)]
    seats = [s.id for s in await stored.seats(session, person.id)]
    invitations = [i.id for i in await stored.invitations(session, person.id, contacts)]
    meetings = {a.meeting_id for a in await stored.attendance(session, person.id, seats)}
    motions = [v.motion_id for v in await stored.open_votes(session, person.id)]
    meetings |= await stored.meetings_of_motions(session, motions)
    subjects = {
        f"person:{person.id}",
        *(f"application:{i}" for i in applications),
        *(f"invitation:{i}" for i in invitations),
        *(f"meeting:{i}" for i in meetings),  # the minutes name the seat holders
        *(f"motion:{i}" for i in motions),
    }
    # Detail keys whose value is the id of the person or of one of their own records.
    own = {"person": [person.id], "person_id": [person.id], "application": applications}
    own |= {"contact": contacts, "seat": seats}
    return Ties(person.id, frozenset(subjects), {k: frozenset(v) for k, v in own.items()})


# -- export -------------------------------------------------------------------------------------


async def export_person(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything the bot holds about the person (PIPL art. 45), as JSON-ready data."""
    ties = await ties_of(session, person)
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
        "audit_log": [stored.plain(e) for e in await _audit_about(session, ties)],
        "messages_to_them": [
            {"at": m.created_at.isoformat(), "status": m.status.value, "text": m.text}
            for m in await stored.outbox_to(session, person.chat_id)
        ],
        "erasures": [stored.plain(e) for e in await stored.erasures_of(session, person.id)],
        "consents": [stored.plain(c) for c in await stored.consents(session, person.id)],
        "erasure_requests": [
            stored.plain(r) for r in await stored.requests_of(session, person.id)
        ],
    }


async def _contact(session: AsyncSession, contact: Contact) -> dict[str, Any]:
    unit = await units.get(session, contact.unit_id)
    return {**stored.plain(contact), "unit_name": unit.name if unit else ""}


async def _audit_about(session: AsyncSession, ties: Ties) -> list[AuditEntry]:
    """Entries by the person or about them by id (`Ties`)."""
    return [entry for entry in await stored.audit_entries(session) if ties.about(entry)]


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
    ties, identifiers = await ties_of(session, person), await _identifiers_of(session, person)
    erasure = await stored.open_erasure(session, person.id, actor_id, now)
    done = Erased(person.id, erasure.id)
    count = done.summary
    count["audit_log"] = await _erase_logs(session, erasure, person, ties, strings, name)
    count["invitations"] = await _erase_invitations(session, person, name)
    done.units_without_contact = await _erase_contacts(session, person, name)
    count["applications"] = await _erase_applications(session, person, strings, name)
    done.active_seats = await _erase_seats(session, person, strings, name)
    count["messages"] = await _erase_messages(session, person, identifiers, strings, name)
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
    session: AsyncSession,
    erasure: Any,
    person: Person,
    ties: Ties,
    strings: Sequence[str],
    name: str,
) -> int:
    """The two append-only logs, through their recorded path: same rows, same order. Only
    the entries tied to the person by id are rewritten (`Ties`)."""
    rewritten = 0
    for entry in await _audit_about(session, ties):
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
    session: AsyncSession,
    person: Person,
    identifiers: Sequence[str],
    strings: Sequence[str],
    name: str,
) -> int:
    """Messages to them lose their content (unsent ones are not sent). A message to someone
    else carries no id of whom it is about: it is rewritten when it quotes the person's phone
    or e-mail, which are theirs alone — never because it contains a name that could be
    another's."""
    to_them = await stored.outbox_to(session, person.chat_id)
    for message in to_them:
        message.text, message.buttons = "", []
        message.file_name = message.file_content = message.file_id = None
        if message.status is DeliveryStatus.PENDING:
            message.status, message.last_error = DeliveryStatus.FAILED, "personal data erased"
    for message in await stored.outbox_mentioning(session, identifiers):
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


# -- the person's own requests ------------------------------------------------------------------


async def record_consent(
    session: AsyncSession, person: Person, purpose: str, now: datetime
) -> Consent:
    """The person agreed to the current privacy notice (PIPL art. 14): when, and to which."""
    return await stored.add_consent(session, person.id, purpose, PRIVACY_NOTICE_VERSION, now)


async def request_erasure(session: AsyncSession, person: Person, now: datetime) -> ErasureRequest:
    """The person asks for their data to be erased (PIPL art. 47); the secretariat decides."""
    if await stored.open_request(session, person.id) is not None:
        raise DomainError(ALREADY_REQUESTED)
    request = await stored.add_request(session, person.id, now)
    await audit.record(
        session, now, person.id, "person.erase_request", f"person:{person.id}", request=request.id
    )
    return request


@dataclass
class Decision:
    """A decided request, the erasure if confirmed, and how to tell the person: their chat
    and language as they were before the erasure wiped them."""

    request: ErasureRequest
    erased: Erased | None
    chat_id: int
    locale: str | None
    language_code: str | None
    pseudonym: str


async def decide_request(
    session: AsyncSession,
    request_id: int,
    actor_id: int,
    erase: bool,
    now: datetime,
    catalogs: Catalogs,
) -> Decision:
    """The secretariat confirms (the erasure runs, in this transaction) or declines."""
    request = await stored.request(session, request_id)
    if request is None or request.decided_at is not None:
        raise DomainError(ALREADY_DECIDED)
    request.decided_at, request.decided_by = now, actor_id
    person = await find_person(session, person_id=request.person_id)
    decision = Decision(
        request, None, person.chat_id, person.locale, person.language_code, pseudonym(person)
    )
    if not erase:
        request.outcome = "declined"
        await audit.record(
            session,
            now,
            actor_id,
            "person.erase_decline",
            f"person:{person.id}",
            request=request.id,
        )
        return decision
    decision.erased = await erase_person(session, person, actor_id, now, catalogs)
    request.outcome, request.erasure_id = "erased", decision.erased.erasure_id
    await session.flush()
    return decision
