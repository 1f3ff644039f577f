"""Whose personal data a person may see, and what an erasure leaves of a unit's contact
(art. 14(8), 17; China's Personal Information Protection Law, PIPL art. 6, 47)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.charter.membership import may_remove_contact
from storage.models import Role


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their roles now, and the unit they are a contact of, if any."""

    person_id: int
    roles: frozenset[Role]
    unit_id: int | None = None


def may_see_contact_details(
    viewer: Viewer, unit_id: int | None = None, person_id: int | None = None
) -> bool:
    """Art. 17 and PIPL art. 6 (no more than necessary): a contact's phone and e-mail are for
    the secretariat, which keeps the roster, for the unit's own contacts, and for the person
    themselves (`person_id`) — nobody else, whatever else they may see of the unit."""
    if Role.SECRETARIAT in viewer.roles:
        return True
    if unit_id is not None and viewer.unit_id == unit_id:
        return True
    return person_id is not None and viewer.person_id == person_id


def contact_details(
    viewer: Viewer,
    phone: str,
    email: str,
    unit_id: int | None = None,
    person_id: int | None = None,
) -> str:
    """The phone and e-mail as shown to `viewer`: both, or nothing (the one place that decides)."""
    if not may_see_contact_details(viewer, unit_id, person_id):
        return ""
    return " ".join(part for part in (phone, email) if part)


class ContactFate(enum.StrEnum):
    """What an erasure does to the erased person's contact record."""

    REMOVE = "remove"  # another contact remains: the record goes, as on /roster
    BLANK = "blank"  # the unit's only contact: the record stays, its personal data erased


def contact_after_erasure(other_contacts: int) -> ContactFate:
    """Art. 14(8): a unit always has a contact. When the erased person is its only one, the
    record stays with its personal data erased, and the secretariat must have the unit name a
    new one; otherwise it is removed like any other contact."""
    return ContactFate.REMOVE if may_remove_contact(other_contacts) else ContactFate.BLANK
