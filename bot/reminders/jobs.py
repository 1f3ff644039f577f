"""The features' periodic jobs. Each runs under an advisory lock (one instance does it) and
queues what it has to say in the outbox, in the same transaction as the change it makes.

- `membership`, daily at 09:00 and at start: notices whose 30 days ran out end the
  membership (art. 16(1)); units near two years without participation are warned, and past
  it withdrawn (art. 16(2)).
- `documents`, every sweep interval: drafts whose publication time came are released to their
  audience and announced (art. 14(4)).
- `terms`, daily at 09:00 and at start: term-end reminders to the secretariat (art. 12).
- `digest`, daily at 09:00 and at start: how many notices to the secretariat were held back
  (at most one per person an hour, bot/services/notify.py `may_tell`).
- `housekeeping`, daily at 09:00 and at start: forgets update keys and polled updates older
  than Telegram would redeliver (a day) and than the inbox replays; deletes the sealed forms
  of applications rejected more than `APPLICATION_RETENTION_DAYS` ago.

The reminder sweep and the recurring duties (art. 27, art. 33) are in `scheduler.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import api
from bot.protocol import Reply
from bot.reminders.sweep import ReminderRuntime
from bot.services import announcements, applications, documents, notify, seats
from storage import inbox, reminders, updates
from storage.db import writing

REDELIVERY = timedelta(days=1)  # Telegram keeps an unconfirmed update for at most a day

Job = Callable[[AsyncSession, ReminderRuntime, datetime], Awaitable[list[Reply]]]


async def membership(session: AsyncSession, rt: ReminderRuntime, now: datetime) -> list[Reply]:
    zone = ZoneInfo(rt.settings.timezone)
    return await announcements.daily_membership(session, rt.catalogs, now, zone)


async def release_documents(
    session: AsyncSession, rt: ReminderRuntime, now: datetime
) -> list[Reply]:
    return await documents.release_due_embargoes(session, rt.catalogs, now)


async def term_reminders(session: AsyncSession, rt: ReminderRuntime, now: datetime) -> list[Reply]:
    await seats.schedule_term_reminders(session, now, ZoneInfo(rt.settings.timezone))
    return []


async def held_notices(session: AsyncSession, rt: ReminderRuntime, now: datetime) -> list[Reply]:
    return await notify.held_digest(session, rt.catalogs, now)


async def housekeeping(session: AsyncSession, rt: ReminderRuntime, now: datetime) -> list[Reply]:
    replay = timedelta(seconds=rt.settings.inbox_replay_seconds)
    await updates.forget_before(session, now - max(REDELIVERY, replay) - REDELIVERY)
    await inbox.forget_before(session, now - max(REDELIVERY, replay))
    retention = timedelta(days=rt.settings.application_retention_days)
    await applications.purge_forms(session, now, retention)
    return []


JOBS: dict[str, Job] = {
    "membership": membership,
    "documents": release_documents,
    "terms": term_reminders,
    "housekeeping": housekeeping,
    "digest": held_notices,
}


async def run_job(rt: ReminderRuntime, name: str) -> None:
    """Runs one job; a failed run is tried again within minutes (bot/reminders/retries.py)."""
    await rt.retries.run(f"job:{name}", functools.partial(run_job_once, rt, name), rt.clock)


async def run_job_once(rt: ReminderRuntime, name: str) -> None:
    """Runs one job on one instance; its messages go out only if its changes commit."""
    with rt.job():  # so that stopping waits for it rather than cancelling it
        async with writing(rt.sessions, rt.writers) as session:
            if not await reminders.try_lock(session, f"job:{name}"):
                return
            now = rt.clock.now()
            for reply in await JOBS[name](session, rt, now):
                await api.notify(session, reply, purpose=f"job:{name}", now=now)
