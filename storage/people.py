"""People and their role grants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, Person, Role, RoleGrant

NAME_LIMIT = Person.__table__.c.display_name.type.length
LANGUAGE_CODE_LIMIT = Person.__table__.c.language_code.type.length


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


@dataclass(frozen=True)
class Arrival:
    """What every update needs to know of its sender: who, with which roles, in which form."""

    person: Person
    roles: frozenset[Role]
    conversation: Conversation | None


async def ensure(
    session: AsyncSession,
    telegram_id: int,
    chat_id: int,
    now: datetime,
    display_name: str = "",
    language_code: str | None = None,
) -> Person:
    """Loads the person, creating them on first contact; writes only what changed."""
    return (await arrive(session, telegram_id, chat_id, now, display_name, language_code)).person


# Built once, as updates.claim's statement is: every update runs it.
_ARRIVAL = (
    select(Person, RoleGrant.role, Conversation)
    .outerjoin(RoleGrant, RoleGrant.person_id == Person.id)
    .outerjoin(Conversation, Conversation.person_id == Person.id)
    .where(Person.telegram_id == bindparam("telegram_id"))
)


async def arrive(
    session: AsyncSession,
    telegram_id: int,
    chat_id: int,
    now: datetime,
    display_name: str = "",
    language_code: str | None = None,
) -> Arrival:
    """Loads the person, creating them on first contact and writing only what changed, with
    their roles and open form read in the same statement: every update needs all three."""
    rows = (await session.execute(_ARRIVAL, {"telegram_id": telegram_id})).all()
    # Cut to the columns' sizes: an over-long name must not make every update of theirs fail.
    display_name, language_code = display_name[:NAME_LIMIT], (language_code or None)
    if language_code is not None:
        language_code = language_code[:LANGUAGE_CODE_LIMIT]
    if not rows:
        person = Person(
            telegram_id=telegram_id,
            chat_id=chat_id,
            display_name=display_name,
            language_code=language_code,
            created_at=now,
        )
        session.add(person)
        await session.flush()  # the new person's id
        return Arrival(person, _with_guest(()), None)
    person, _, conversation = rows[0]
    if display_name and person.display_name != display_name:
        person.display_name = display_name
    if language_code and person.language_code != language_code:
        person.language_code = language_code
    granted = (role for _, role, _ in rows if role is not None)
    return Arrival(person, _with_guest(granted), conversation)


async def roles_of(session: AsyncSession, person_id: int) -> frozenset[Role]:
    query = select(RoleGrant.role).where(RoleGrant.person_id == person_id)
    return _with_guest((await session.scalars(query)).all())


def _with_guest(granted: Iterable[Role]) -> frozenset[Role]:
    """Everyone who writes to the bot is a guest, whatever else they were granted."""
    return frozenset(granted) | {Role.GUEST}


async def grant(
    session: AsyncSession, person_id: int, role: Role, granted_by: int | None, now: datetime
) -> bool:
    """Grants a role; False when the person already had it."""
    if role in await roles_of(session, person_id):
        return False
    session.add(RoleGrant(person_id=person_id, role=role, granted_by=granted_by, granted_at=now))
    await session.flush()
    return True


async def revoke(session: AsyncSession, person_id: int, role: Role) -> bool:
    """Revokes a role; False when the person did not have it."""
    query = delete(RoleGrant).where(RoleGrant.person_id == person_id, RoleGrant.role == role)
    return bool((await session.execute(query)).rowcount)


async def with_roles(session: AsyncSession, roles: Iterable[Role]) -> Sequence[Person]:
    """People holding any of `roles`: an audience, or whom to tell."""
    query = (
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role.in_(list(roles)))
        .distinct()
        .order_by(Person.id)
    )
    return (await session.scalars(query)).all()


async def with_menus(session: AsyncSession) -> list[tuple[Person, frozenset[Role]]]:
    """Everyone whose chat has or should have a menu of its own, with their roles: role-holders,
    and people whose chat was given one (a digest is kept), who may hold no role any more."""
    query = (
        select(Person, RoleGrant.role)
        .outerjoin(RoleGrant, RoleGrant.person_id == Person.id)
        .where(or_(RoleGrant.role.is_not(None), Person.menu_digest.is_not(None)))
        .order_by(Person.id)
    )
    found: dict[int, tuple[Person, set[Role]]] = {}
    for person, role in (await session.execute(query)).all():
        granted = found.setdefault(person.id, (person, set()))[1]
        if role is not None:
            granted.add(role)
    return [(person, _with_guest(granted)) for person, granted in found.values()]


async def remember_menus(session: AsyncSession, digests: Mapping[int, str]) -> None:
    """Records the digest of the menu now set in each chat."""
    people = Person.__table__
    statement = (
        update(people)
        .where(people.c.chat_id == bindparam("chat"))
        .values(menu_digest=bindparam("digest"))
    )
    await session.execute(statement, [{"chat": c, "digest": d} for c, d in digests.items()])
