"""What the membership's changes tell whom (art. 15, 16(2), 16(4), 17), for handlers and jobs."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Catalogs
from bot.labels import STATUSES
from bot.protocol import Reply
from bot.services import membership, notify


async def departure(
    session: AsyncSession, catalogs: Catalogs, leaving: membership.Departure
) -> list[Reply]:
    """Art. 16(4), 17: a departure is announced to members and filed with the leadership."""
    unit = leaving.unit
    params = {"unit": unit.name, "status": notify.Msg(STATUSES[unit.status])}
    news = notify.note(N_("Roster change: {unit} has left the center ({status})."), **params)
    filed = notify.note(
        N_("For the joint meeting's record: {unit} has left the center ({status})."), **params
    )
    return [
        *notify.to_people(catalogs, leaving.former_contacts, news),
        *notify.to_people(catalogs, await notify.members(session), news),
        *notify.to_people(catalogs, await notify.leadership(session), filed),
    ]


async def daily_membership(
    session: AsyncSession, catalogs: Catalogs, now: datetime, zone: tzinfo
) -> list[Reply]:
    """The daily run: notices whose 30 days ran out (art. 16(1)) and inactivity (art. 16(2))."""
    replies = []
    for leaving in await membership.complete_due_withdrawals(session, now, zone):
        replies += await departure(session, catalogs, leaving)
    sweep = await membership.sweep_inactivity(session, now, zone)
    for unit, deadline in sweep.warned:
        warning = notify.note(
            N_(
                "{unit} has not taken part in the center's activities for almost two years. "
                "Under art. 16(2) it will be considered withdrawn on {day} unless it takes part "
                "before then (an event, a notice acknowledged, a vote or a filed project)."
            ),
            unit=unit.name,
            day=deadline,
        )
        recipients = [
            *await notify.unit_contacts(session, unit.id),
            *await notify.secretariat(session),
        ]
        replies += notify.to_people(catalogs, recipients, warning)
    for leaving in sweep.withdrawn:
        replies += await departure(session, catalogs, leaving)
    return replies
