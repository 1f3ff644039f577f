"""Projects taken on through the center, filed with the secretariat first (art. 14(6))."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_date
from bot.errors import DomainError
from bot.i18n import N_
from bot.services.membership import record_participation
from bot.validation import typed
from storage import audit, membership
from storage.models import ProjectFiling


def starts_on(text: str, today: date) -> date:
    """Art. 14(6): a project is filed before it starts, so its start is today or later."""
    try:
        day = date.fromisoformat(typed(text))
    except ValueError as error:
        raise DomainError(N_("Please give the date as YYYY-MM-DD, e.g. 2027-03-01.")) from error
    if day < today:
        raise DomainError(
            N_("Projects are filed before they start (art. 14(6)); the date has passed.")
        )
    return day


async def file_project(
    session: AsyncSession,
    unit_id: int,
    person_id: int,
    answers: dict[str, str],
    now: datetime,
    zone: tzinfo,
) -> ProjectFiling:
    project = ProjectFiling(
        unit_id=unit_id,
        title=answers["title"],
        client=answers["client"],
        scope=answers["scope"],
        starts_on=date.fromisoformat(answers["starts_on"]),
        filed_by=person_id,
        filed_at=now,
    )
    session.add(project)
    await session.flush()
    today = local_date(now, zone)
    await record_participation(session, unit_id, "project", today, f"project:{project.id}")
    await audit.record(
        session, now, person_id, "project.file", f"unit:{unit_id}", project=project.id
    )
    return project


async def acknowledge(
    session: AsyncSession, project_id: int, actor_id: int, now: datetime
) -> ProjectFiling:
    project = await membership.project(session, project_id)
    if project is None or project.acknowledged_at is not None:
        raise DomainError(N_("This project has already been acknowledged."))
    project.acknowledged_at, project.acknowledged_by = now, actor_id
    await audit.record(
        session,
        now,
        actor_id,
        "project.acknowledge",
        f"unit:{project.unit_id}",
        project=project.id,
    )
    return project
