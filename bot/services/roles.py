"""Granting and revoking roles; the first secretariat from ADMIN_IDS (DESIGN.md, Who uses it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.i18n import N_
from bot.validation import typed
from storage import audit, people
from storage.models import Person, Role

GRANTABLE = (Role.CONTACT, Role.SECRETARIAT, Role.LEADERSHIP, Role.EXPERT)


def parse_role(text: str) -> Role:
    """A grantable role from its name; guest is everyone's and cannot be granted."""
    try:
        role = Role(typed(text).lower())
    except ValueError:
        role = None
    if role not in GRANTABLE:
        names = ", ".join(r.value for r in GRANTABLE)
        raise DomainError(N_("Unknown role “{role}”. Roles: {roles}."), role=text, roles=names)
    return role


TELEGRAM_ID_LIMIT = 2**53  # Telegram's ids have at most 52 significant bits


def parse_telegram_id(text: str) -> int:
    """ASCII digits after NFKC, within Telegram's range (a 25-digit id overflowed SQLite)."""
    digits = typed(text)
    value = int(digits) if digits.isascii() and digits.isdigit() else 0
    if not 0 < value < TELEGRAM_ID_LIMIT:
        raise DomainError(N_("A Telegram ID is a positive number, like 123456789."))
    return value


async def grant_role(
    session: AsyncSession, actor_id: int | None, telegram_id: int, role: Role, now: datetime
) -> tuple[Person, bool]:
    """Grants `role` to the person with `telegram_id` (known or not yet); records it."""
    person = await people.ensure(session, telegram_id, telegram_id, now)
    granted = await people.grant(session, person.id, role, actor_id, now)
    if granted:
        await audit.record(session, now, actor_id, "role.grant", f"person:{person.id}", role=role)
    return person, granted


async def revoke_role(
    session: AsyncSession, actor_id: int | None, telegram_id: int, role: Role, now: datetime
) -> tuple[Person | None, bool]:
    """Revokes `role`; the secretariat is never left without anyone in it."""
    person = await people.by_telegram_id(session, telegram_id)
    if person is None:
        return None, False
    if role is Role.SECRETARIAT and role in await people.roles_of(session, person.id):
        if len(await people.with_roles(session, [Role.SECRETARIAT])) <= 1:
            raise DomainError(N_("The last secretariat account cannot be removed."))
    revoked = await people.revoke(session, person.id, role)
    if revoked:
        await audit.record(session, now, actor_id, "role.revoke", f"person:{person.id}", role=role)
    return person, revoked


async def bootstrap_admins(
    session: AsyncSession, admin_ids: Iterable[int], now: datetime
) -> list[int]:
    """Makes the ADMIN_IDS accounts secretariat; returns those skipped as revoked.

    ADMIN_IDS only seeds the first accounts: a revocation recorded in the database (the audit
    log's `role.revoke`) wins over it, so an account the secretariat removed is not made
    secretariat again at the next start. Granting it again in chat or on the command line
    restores it.
    """
    skipped = []
    for telegram_id in admin_ids:
        if await _secretariat_revoked(session, telegram_id):
            skipped.append(telegram_id)
            continue
        await grant_role(session, None, telegram_id, Role.SECRETARIAT, now)
    return skipped


async def _secretariat_revoked(session: AsyncSession, telegram_id: int) -> bool:
    """Whether the account lost the secretariat role by a recorded revocation, and holds it
    not now (a later grant restores it)."""
    person = await people.by_telegram_id(session, telegram_id)
    if person is None or Role.SECRETARIAT in await people.roles_of(session, person.id):
        return False
    entries = await audit.of_subject(session, f"person:{person.id}", "role.revoke")
    return any(entry.details.get("role") == Role.SECRETARIAT for entry in entries)
