"""The APScheduler jobs: the reminder sweep and the charter's recurring duties.

Jobs are module-level functions taking the runtime and ids; job ids are fixed, and
`replace_existing` makes building the scheduler twice harmless.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import notes
from bot.reminders.jobs import run_job
from bot.reminders.obligations import CHECK_HOUR, Obligation, obligations
from bot.reminders.sweep import ReminderRuntime, fire_due
from storage import reminders
from storage.db import writing
from storage.models import Role

log = logging.getLogger(__name__)

SWEEP_JOB = "reminders:sweep"
NOTES_JOB = "job:secretariat-notes"
NOTES_POLL = 5  # seconds between looks for routine notes whose minute is up (notes.GATHER)

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


async def catch_up(scheduler: AsyncIOScheduler) -> None:
    """Runs every job once at start, one after another: what fell due while the bot was
    down is done now, not at the next 09:00, and the start-up runs do not contend for the
    write lock. Ends early when the scheduler is stopped."""
    for job in scheduler.get_jobs():
        if scheduler.state != STATE_RUNNING:
            return
        await job.func(*job.args)


def build_scheduler(rt: ReminderRuntime) -> AsyncIOScheduler:
    """The scheduler with every job; `catch_up` runs each once at start."""
    zone = ZoneInfo(rt.settings.timezone)
    scheduler = AsyncIOScheduler(timezone=zone, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        sweep_reminders,
        IntervalTrigger(seconds=rt.settings.reminder_poll_interval, timezone=zone),
        args=[rt],
        id=SWEEP_JOB,
        replace_existing=True,
    )
    daily = CronTrigger(hour=CHECK_HOUR, timezone=zone)
    sweep = IntervalTrigger(seconds=rt.settings.reminder_poll_interval, timezone=zone)
    for name, trigger in (
        ("membership", daily),
        ("documents", sweep),
        ("terms", daily),
        ("housekeeping", daily),
        ("digest", daily),
    ):
        scheduler.add_job(
            run_job,
            trigger,
            args=[rt, name],
            id=f"job:{name}",
            replace_existing=True,
        )
    scheduler.add_job(
        send_secretariat_notes,
        IntervalTrigger(seconds=NOTES_POLL, timezone=zone),
        args=[rt],
        id=NOTES_JOB,
        replace_existing=True,
    )
    for obligation in obligations():
        scheduler.add_job(
            check_obligation,
            CronTrigger(timezone=zone, **obligation.cron),
            args=[rt, obligation.name],
            id=f"obligation:{obligation.name}",
            replace_existing=True,
        )
    return scheduler


async def sweep_reminders(rt: ReminderRuntime) -> None:
    """Fires the due reminders, and tries again the failed jobs whose time came. Instances
    share the work: claims skip each other's rows."""
    await rt.retries.run_due(rt.clock)
    try:
        with rt.job():
            fired = await fire_due(rt)
    except (SQLAlchemyError, OSError) as error:
        log.warning("reminder sweep: database unavailable (%s)", type(error).__name__)
        return
    if fired:
        log.info("fired %s reminders", fired)


async def send_secretariat_notes(rt: ReminderRuntime) -> None:
    """Queues the routine notes to the secretariat gathered for a minute, one message per
    member (issue 20). A failed run keeps the notes for the next, seconds later."""
    try:
        with rt.job():
            queued = await _queue_notes(rt)
    except (SQLAlchemyError, OSError) as error:
        log.warning("secretariat notes: database unavailable (%s)", type(error).__name__)
        return
    if queued:
        rt.wake()


async def _queue_notes(rt: ReminderRuntime) -> int:
    async with rt.sessions() as session:
        if not await notes.any_due(session, rt.clock.now()):
            return 0  # the usual case: a read, no write lock
    async with writing(rt.sessions, rt.writers) as session:
        if not await reminders.try_lock(session, NOTES_JOB):
            return 0  # another instance is queuing them
        return await notes.queue_due(session, rt.catalogs, rt.clock.now())


async def check_obligation(rt: ReminderRuntime, name: str) -> None:
    """Makes sure this period's reminder of a recurring duty exists; a failed check is tried
    again within minutes."""
    attempt = functools.partial(_check_obligation_once, rt, name)
    await rt.retries.run(f"obligation:{name}", attempt, rt.clock)


async def _check_obligation_once(rt: ReminderRuntime, name: str) -> None:
    obligation = next(o for o in obligations() if o.name == name)
    with rt.job():
        async with writing(rt.sessions, rt.writers) as session:
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
