"""The APScheduler jobs: the reminder sweep and the charter's recurring duties.

Jobs are module-level functions taking the runtime and ids; job ids are fixed, and
`replace_existing` makes building the scheduler twice harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.jobs import run_job
from bot.reminders.obligations import Obligation, obligations
from bot.reminders.sweep import ReminderRuntime, fire_due
from storage import reminders
from storage.models import Role

log = logging.getLogger(__name__)

SWEEP_JOB = "reminders:sweep"

# Every job looks in the database for what is due, so one late run does all that missed
# runs would have done: run however late (misfire_grace_time=None, where APScheduler's
# default drops a run over a second late), fold a backlog into one run (coalesce), and
# never overlap a run with itself (max_instances=1).
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


async def stop_scheduler(scheduler: AsyncIOScheduler, rt: ReminderRuntime, grace: float) -> None:
    """Stops the jobs: no new runs, and the runs under way may finish (for up to `grace`
    seconds) before the shutdown, since APScheduler's asyncio executor cancels them."""
    scheduler.pause()
    if rt.running:
        await asyncio.wait(set(rt.running), timeout=grace)
    scheduler.shutdown(wait=False)


def build_scheduler(rt: ReminderRuntime) -> AsyncIOScheduler:
    """The scheduler with every job; each also runs once at start to catch up."""
    zone = ZoneInfo(rt.settings.timezone)
    scheduler = AsyncIOScheduler(timezone=zone, job_defaults=JOB_DEFAULTS)
    at_start = datetime.now(zone)
    scheduler.add_job(
        sweep_reminders,
        IntervalTrigger(seconds=rt.settings.reminder_poll_interval, timezone=zone),
        args=[rt],
        id=SWEEP_JOB,
        replace_existing=True,
        next_run_time=at_start,
    )
    daily = CronTrigger(hour=9, timezone=zone)
    sweep = IntervalTrigger(seconds=rt.settings.reminder_poll_interval, timezone=zone)
    for name, trigger in (
        ("membership", daily),
        ("documents", sweep),
        ("terms", daily),
        ("housekeeping", daily),
    ):
        scheduler.add_job(
            run_job,
            trigger,
            args=[rt, name],
            id=f"job:{name}",
            replace_existing=True,
            next_run_time=at_start,
        )
    for obligation in obligations():
        scheduler.add_job(
            check_obligation,
            CronTrigger(timezone=zone, **obligation.cron),
            args=[rt, obligation.name],
            id=f"obligation:{obligation.name}",
            replace_existing=True,
            next_run_time=at_start,
        )
    return scheduler


async def sweep_reminders(rt: ReminderRuntime) -> None:
    """Fires the due reminders. Instances share the work: claims skip each other's rows."""
    try:
        with rt.job():
            fired = await fire_due(rt)
    except (SQLAlchemyError, OSError) as error:
        log.warning("reminder sweep: database unavailable (%s)", type(error).__name__)
        return
    if fired:
        log.info("fired %s reminders", fired)


async def check_obligation(rt: ReminderRuntime, name: str) -> None:
    """Makes sure this period's reminder of a recurring duty exists (once, on one instance)."""
    obligation = next(o for o in obligations() if o.name == name)
    with rt.job():
        async with rt.sessions() as session, session.begin():
            if not await reminders.try_lock(session, f"obligation:{name}"):
                return  # another instance is running this very check
            await _ensure_reminder(session, rt, obligation)


async def _ensure_reminder(
    session: AsyncSession, rt: ReminderRuntime, obligation: Obligation
) -> None:
    now = rt.clock.now()
    occurrence = obligation.occurrence(now.astimezone(ZoneInfo(rt.settings.timezone)))
    if occurrence is None:
        return
    await reminders.schedule(
        session,
        kind=obligation.kind,
        role=Role.SECRETARIAT,
        due_at=occurrence.due_at,
        expires_at=occurrence.expires_at,
        dedup_key=occurrence.key,
        payload=occurrence.payload,
        now=now,
        replace=False,
    )
