"""Granting and revoking roles; the first secretariat from ADMIN_IDS (DESIGN.md, Who uses it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.i18n import N_
from storage import audit, people
from storage.models import Person, Role

GRANTABLE = (Role.CONTACT, Role.SECRETARIAT, Role.LEADERSHIP, Role.EXPERT)


def parse_role(text: str) -> Role:
    """A grantable role from its name; guest is everyone's and cannot be granted."""
    try:
        role = Role(text.strip().lower())
    except ValueError:
        role = None
    if role not in GRANTABLE:
        names = ", ".join(r.value for r in GRANTABLE)
        raise DomainError(N_("Unknown role “{role}”. Roles: {roles}."), role=text, roles=names)
    return role


def parse_telegram_id(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value <= 0:
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


async def bootstrap_admins(session: AsyncSession, admin_ids: Iterable[int], now: datetime) -> None:
    """Makes every ADMIN_IDS account secretariat, once; later runs change nothing."""
    for telegram_id in admin_ids:
        await grant_role(session, None, telegram_id, Role.SECRETARIAT, now)
