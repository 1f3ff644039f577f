"""Contact persons of a unit (art. 14(8)): invitations, backups, replacing the main contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.membership import HAS_RIGHTS, ON_ROSTER, may_remove_contact
from bot.errors import DomainError
from bot.i18n import N_
from bot.links import start_link
from bot.services import invitations
from storage import audit, people, units
from storage.models import Contact, Person, Role, Unit
from storage.onboarding_models import Invitation, InvitationKind

INVITE_PREFIX = "ct"
INVITE_VALID_FOR = timedelta(days=14)
INVALID_INVITE = N_(
    "This invitation link is not valid: it was used, has expired or was withdrawn. "
    "Please ask your unit's main contact or the secretariat for a new one."
)


def invite_link(bot_username: str | None, token: str) -> str:
    """t.me deep link; the payload (3 + 32 characters) is within Telegram's 64."""
    return start_link(bot_username, f"{INVITE_PREFIX}_{token}")


async def create_invite(
    session: AsyncSession, unit_id: int, actor_id: int, now: datetime, as_main: bool = False
) -> Invitation:
    """A one-time link for a new (backup or main) contact of the unit (see invitations)."""
    unit = await units.get(session, unit_id)
    if unit is None or unit.status not in ON_ROSTER:
        raise DomainError(N_("This unit is no longer a member."))
    source = "roster" if as_main else "unit"
    invite = await invitations.create(
        session,
        InvitationKind.CONTACT,
        now,
        INVITE_VALID_FOR,
        actor_id=actor_id,
        unit_id=unit_id,
        as_main=as_main,
        source=source,
    )
    await audit.record(
        session, now, actor_id, "contact.invite", f"unit:{unit_id}", as_main=as_main
    )
    return invite


async def accept_invite(
    session: AsyncSession, token: str, person: Person, now: datetime, zone: tzinfo = UTC
) -> tuple[Unit, Contact]:
    """Binds the person who opened the link as a contact of the unit; the link is spent."""
    found = await invitations.accept(
        session, token, person, now, zone, frozenset({InvitationKind.CONTACT})
    )
    if isinstance(found, invitations.Refused):
        raise DomainError(INVALID_INVITE)
    assert found.unit is not None and found.contact is not None
    return found.unit, found.contact


async def make_main(
    session: AsyncSession, contact_id: int, actor_id: int, now: datetime
) -> Contact:
    """The secretariat makes a backup the main contact; the former main becomes a backup."""
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.person_id is None:
        raise DomainError(N_("No such contact."))
    for other in await units.contacts_of(session, contact.unit_id):
        other.is_main = False
    await session.flush()
    contact.is_main = True
    await audit.record(
        session, now, actor_id, "contact.main", f"unit:{contact.unit_id}", contact=contact.id
    )
    return contact


async def remove_contact(
    session: AsyncSession, contact_id: int, actor_id: int, now: datetime
) -> Contact:
    """Removes a contact, never the last one; a removed main contact is replaced by a backup."""
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.person_id is None:
        raise DomainError(N_("No such contact."))
    others = [
        c
        for c in await units.contacts_of(session, contact.unit_id)
        if c.id != contact.id and c.person_id
    ]
    if not may_remove_contact(len(others)):
        raise DomainError(
            N_("A unit must always have a contact person (art. 14(8)); add another first.")
        )
    await people.revoke(session, contact.person_id, Role.CONTACT)
    await session.delete(contact)
    await session.flush()
    if contact.is_main:
        others[0].is_main = True
    await audit.record(
        session, now, actor_id, "contact.remove", f"unit:{contact.unit_id}", contact=contact.id
    )
    return contact


async def unit_with_rights(session: AsyncSession, person_id: int) -> tuple[Unit, Contact] | None:
    """The person's unit if its member rights are active now (art. 13, 15, 16(5))."""
    found = await units.of_person(session, person_id)
    return found if found and found[0].status in HAS_RIGHTS else None
