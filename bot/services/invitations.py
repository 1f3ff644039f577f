"""Personal one-time invitation links (art. 12, 14(8), 19, 21).

One mechanism for every invitation: the contacts, seat holders and experts of an imported
roster, and the backup contacts a unit invites (bot/services/contacts.py creates its links
here). The token is kept as it is, not hashed, because the secretariat must be able to show,
resend and export the same link again; it is 192 random bits, single-use and expiring, and
whoever can read the database can already change everything it would grant.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.membership import ON_ROSTER
from bot.errors import DomainError
from bot.i18n import N_
from bot.links import start_link
from bot.services import seats
from storage import audit, people, units
from storage import invitations as stored
from storage.meetings_models import Seat
from storage.models import Contact, Person, Role, Unit
from storage.onboarding_models import Invitation, InvitationKind

PREFIX = "iv"  # t.me/<bot>?start=iv_<token>: 3 + 32 characters, within Telegram's 64
TOKEN_BYTES = 24  # token_urlsafe(24) is 32 characters of [A-Za-z0-9_-]
UNKNOWN = N_("This invitation link is not valid.")
REFUSALS = {
    "used": N_("This invitation link has already been used."),
    "expired": N_("This invitation link has expired."),
    "revoked": N_("This invitation link was withdrawn by the secretariat."),
}
ALREADY_CONTACT = N_("You are already the contact person of a unit.")
NO_SUCH_INVITATION = N_("This invitation no longer exists.")
ROLES = {
    InvitationKind.CONTACT: Role.CONTACT,
    InvitationKind.SEAT: Role.LEADERSHIP,
    InvitationKind.EXPERT: Role.EXPERT,
}


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def link(bot_username: str | None, invitation: Invitation, prefix: str = PREFIX) -> str:
    return start_link(bot_username, f"{prefix}_{invitation.token}")


async def create(
    session: AsyncSession,
    kind: InvitationKind,
    now: datetime,
    valid_for: timedelta,
    *,
    actor_id: int | None,
    unit_id: int | None = None,
    contact_id: int | None = None,
    name: str = "",
    phone: str = "",
    email: str = "",
    as_main: bool = False,
    source: str = "import",
) -> Invitation:
    """A new link for one person; what it grants is written on the row."""
    invitation = Invitation(
        token=new_token(),
        kind=kind,
        unit_id=unit_id,
        contact_id=contact_id,
        name=name,
        phone=phone,
        email=email,
        as_main=as_main,
        source=source,
        created_by=actor_id,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invitation)
    await session.flush()
    await audit.record(
        session, now, actor_id, "invitation.create", _subject(invitation), kind=kind.value
    )
    return invitation


@dataclass(frozen=True)
class Accepted:
    invitation: Invitation
    unit: Unit | None
    contact: Contact | None = None
    seat: Seat | None = None


@dataclass(frozen=True)
class Refused:
    """Why a link was refused; `invitation_id` lets the person ask for a new one."""

    message: str
    invitation_id: int | None


async def accept(
    session: AsyncSession,
    token: str,
    person: Person,
    now: datetime,
    zone: tzinfo,
    kinds: frozenset[InvitationKind] = frozenset(InvitationKind),
) -> Accepted | Refused:
    """Binds the person who opened the link to what it grants; the link is spent."""
    invitation = await stored.by_token(session, token) if token else None
    if invitation is None or invitation.kind not in kinds:
        return Refused(UNKNOWN, None)
    state = stored.state(invitation, now)
    if state != "pending":
        return Refused(REFUSALS[state], invitation.id)
    unit = await units.get(session, invitation.unit_id) if invitation.unit_id else None
    if invitation.unit_id is not None and (unit is None or unit.status not in ON_ROSTER):
        raise DomainError(N_("This unit is no longer a member."))
    invitation.used_at, invitation.used_by = now, person.id
    accepted = await _grant(session, invitation, unit, person, now, zone)
    await audit.record(
        session, now, person.id, "invitation.accept", _subject(invitation), kind=invitation.kind
    )
    return accepted


async def _grant(
    session: AsyncSession,
    invitation: Invitation,
    unit: Unit | None,
    person: Person,
    now: datetime,
    zone: tzinfo,
) -> Accepted:
    if invitation.kind is InvitationKind.CONTACT:
        assert unit is not None
        return Accepted(invitation, unit, contact=await _bind_contact(session, invitation, person))
    if invitation.kind is InvitationKind.SEAT:
        assert unit is not None
        seat, _ = await seats.add_seat(
            session, unit.id, person.telegram_id, invitation.name, invitation.created_by, now, zone
        )
        return Accepted(invitation, unit, seat=seat)
    if await people.grant(session, person.id, Role.EXPERT, invitation.created_by, now):
        await audit.record(
            session, now, invitation.created_by, "role.grant", f"person:{person.id}", role="expert"
        )
    return Accepted(invitation, unit)


async def _bind_contact(session: AsyncSession, invitation: Invitation, person: Person) -> Contact:
    """The imported contact record gets its Telegram account; a unit's own invitation for a
    backup creates the record. A main contact's invitation makes the others backups."""
    if await units.of_person(session, person.id) is not None:
        raise DomainError(ALREADY_CONTACT)
    contact = await session.get(Contact, invitation.contact_id) if invitation.contact_id else None
    if invitation.contact_id is not None and (contact is None or contact.person_id is not None):
        raise DomainError(REFUSALS["used"])
    assert invitation.unit_id is not None and invitation.used_at is not None
    if invitation.as_main:
        for other in await units.contacts_of(session, invitation.unit_id):
            other.is_main = False
        await session.flush()
    if contact is None:
        name = invitation.name or person.display_name or str(person.telegram_id)
        contact = await units.add_contact(
            session, invitation.unit_id, person.id, name, invitation.used_at
        )
    contact.person_id, contact.is_main = person.id, contact.is_main or invitation.as_main
    await session.flush()
    await people.grant(session, person.id, Role.CONTACT, invitation.created_by, invitation.used_at)
    await audit.record(
        session,
        invitation.used_at,
        person.id,
        "contact.join",
        f"unit:{invitation.unit_id}",
        main=contact.is_main,
    )
    return contact


async def revoke(
    session: AsyncSession, invitation_id: int, actor_id: int | None, now: datetime
) -> Invitation:
    """The link stops working; it can be regenerated later."""
    invitation = await _open(session, invitation_id)
    if invitation.revoked_at is None:
        invitation.revoked_at, invitation.revoked_by = now, actor_id
        await audit.record(session, now, actor_id, "invitation.revoke", _subject(invitation))
    return invitation


async def regenerate(
    session: AsyncSession,
    invitation_id: int,
    actor_id: int | None,
    now: datetime,
    valid_for: timedelta,
) -> Invitation:
    """A new token and a new expiry for the same person; the old link no longer exists."""
    invitation = await _open(session, invitation_id)
    invitation.token, invitation.expires_at = new_token(), now + valid_for
    invitation.revoked_at = invitation.revoked_by = invitation.sent_at = None
    await audit.record(session, now, actor_id, "invitation.regenerate", _subject(invitation))
    return invitation


async def mark_sent(
    session: AsyncSession, invitation_id: int, actor_id: int | None, now: datetime
) -> Invitation:
    """The secretariat took the link to pass it on (shown again, or exported)."""
    invitation = await _open(session, invitation_id)
    if stored.state(invitation, now) != "pending":
        raise DomainError(N_("This link can no longer be used; regenerate it to send a new one."))
    invitation.sent_at = now
    return invitation


async def _open(session: AsyncSession, invitation_id: int) -> Invitation:
    """An invitation nobody has accepted yet."""
    invitation = await stored.get(session, invitation_id)
    if invitation is None:
        raise DomainError(NO_SUCH_INVITATION)
    if invitation.used_at is not None:
        raise DomainError(N_("This invitation has already been accepted."))
    return invitation


def _subject(invitation: Invitation) -> str:
    return f"invitation:{invitation.id}"
