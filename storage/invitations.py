"""Invitations and the demo center's marks: the queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit
from storage.onboarding_models import DemoUnit, Invitation, InvitationKind


async def by_token(session: AsyncSession, token: str) -> Invitation | None:
    """The invitation behind a link, locked for the rest of the transaction (one use only)."""
    query = select(Invitation).where(Invitation.token == token).with_for_update()
    return await session.scalar(query)


async def get(session: AsyncSession, invitation_id: int) -> Invitation | None:
    return await session.get(Invitation, invitation_id)


async def of_unit(
    session: AsyncSession, unit_id: int, kind: InvitationKind | None = None
) -> Sequence[Invitation]:
    query = select(Invitation).where(Invitation.unit_id == unit_id).order_by(Invitation.id)
    if kind is not None:
        query = query.where(Invitation.kind == kind)
    return (await session.scalars(query)).all()


async def for_contact(session: AsyncSession, contact_id: int) -> Invitation | None:
    query = select(Invitation).where(Invitation.contact_id == contact_id).order_by(Invitation.id)
    return (await session.scalars(query)).first()


async def open_ones(
    session: AsyncSession, text: str = "", limit: int | None = None
) -> Sequence[tuple[Invitation, Unit | None]]:
    """Invitations not used yet (pending, expired or revoked), by unit and name."""
    query = (
        select(Invitation, Unit)
        .outerjoin(Unit, Unit.id == Invitation.unit_id)
        .where(Invitation.used_at.is_(None))
        .order_by(Unit.name, Invitation.kind, Invitation.name, Invitation.id)
    )
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(Invitation.name).like(pattern),
                func.lower(Unit.name).like(pattern),
                func.lower(Unit.credit_code).like(pattern),
            )
        )
    if limit is not None:
        query = query.limit(limit)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def counts(session: AsyncSession, now: datetime) -> dict[str, int]:
    """How many invitations are pending, used, expired and revoked."""
    found = {"pending": 0, "used": 0, "expired": 0, "revoked": 0}
    for invitation in (await session.scalars(select(Invitation))).all():
        found[state(invitation, now)] += 1
    return found


def state(invitation: Invitation, now: datetime) -> str:
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "pending"


async def mark_demo(session: AsyncSession, unit_id: int, now: datetime) -> None:
    session.add(DemoUnit(unit_id=unit_id, created_at=now))


async def real_unit_count(session: AsyncSession) -> int:
    """Units that are not part of the demo center."""
    query = select(func.count(Unit.id)).where(Unit.id.not_in(select(DemoUnit.unit_id)))
    return int(await session.scalar(query) or 0)


async def demo_unit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(DemoUnit.unit_id))) or 0)
