"""Delivery in a running bot: the outbox worker and the reminder scheduler, started and
stopped together by the engine that provides the transport."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.policy import RetryLimits
from bot.delivery.ratelimit import FloodWatch, RateLimiter, apply_retry_after
from bot.delivery.transport import DeliveryError, RetryAfter, Transport
from bot.delivery.worker import OutboxWorker
from bot.i18n import Catalogs
from bot.reminders.kinds import reminder_kinds
from bot.reminders.scheduler import build_scheduler, catch_up, stop_scheduler
from bot.reminders.sweep import ReminderRuntime
from bot.settings import Settings

log = logging.getLogger(__name__)


class Delivery:
    """One process's delivery: the shared rate limiter, the outbox worker, the scheduler."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        settings: Settings,
        clock: Clock,
        writers: AbstractAsyncContextManager[Any] | None = None,
    ) -> None:
        self.sessions, self.catalogs = sessions, catalogs
        self.settings, self.clock = settings, clock
        self.writers = writers or contextlib.nullcontext()  # storage.db.writer_queue
        self.limiter = RateLimiter(settings.send_rate, settings.per_chat_interval)
        self.watch = FloodWatch()  # the outbox's sends and the engine's replies alike
        self.retry_limits = RetryLimits(
            settings.delivery_max_attempts,
            settings.delivery_backoff,
            settings.delivery_backoff_max,
        )
        self.worker: OutboxWorker | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._jobs: ReminderRuntime | None = None
        self._task: asyncio.Task[None] | None = None
        self.caught_up: asyncio.Task[None] | None = None  # the jobs' start-up runs

    async def start(self, transport: Transport) -> None:
        """Starts delivering through `transport` and firing reminders."""
        self.worker = OutboxWorker(
            self.sessions,
            transport,
            self.limiter,
            self.settings,
            self.clock,
            self.catalogs,
            watch=self.watch,
        )
        self._task = asyncio.create_task(self.worker.run(), name="outbox-worker")
        self._task.add_done_callback(_report_end)
        self._jobs = ReminderRuntime(
            self.sessions,
            self.catalogs,
            self.clock,
            self.settings,
            reminder_kinds(),
            wake=self.wake,
            writers=self.writers,
        )
        self.scheduler = build_scheduler(self._jobs)
        self.scheduler.start()
        self.caught_up = asyncio.create_task(catch_up(self.scheduler), name="jobs-catch-up")
        jobs = ", ".join(job.id for job in self.scheduler.get_jobs())
        log.info("delivery started: worker %s; jobs %s", self.worker.name, jobs)

    def observe(self, chat_id: int, error: DeliveryError | None) -> None:
        """Feeds the shared limiter with the result of an engine's own reply: a 429 holds the
        chat (or every chat, when the bot is flooded) for the outbox's sends as well."""
        if isinstance(error, RetryAfter):
            now, scoped = self.limiter.at(self.clock.now()), error.chat_id is not None
            if apply_retry_after(self.limiter, self.watch, chat_id, error.seconds, scoped, now):
                log.warning("flood control: all sends held for %s s", error.seconds)
        else:
            self.watch.record(flooded=False)

    def wake(self) -> None:
        """Call after committing outbox rows, so they go now rather than at the next poll."""
        if self.worker is not None:
            self.worker.wake()

    async def stop(self) -> None:
        """Stops the jobs, then drains the worker: sends under way finish and are recorded."""
        if self.scheduler is not None and self._jobs is not None:
            # A job left running would use the database after the app has closed it.
            await stop_scheduler(self.scheduler, self._jobs, self.settings.delivery_drain_timeout)
            self.scheduler = None
        if self.caught_up is not None:  # it stops after the job it was running
            await asyncio.wait({self.caught_up}, timeout=self.settings.delivery_drain_timeout)
            self.caught_up.cancel()
            self.caught_up = None
        if self.worker is not None and self._task is not None:
            self.worker.stop()
            await self._task
            self.worker, self._task = None, None


def _report_end(task: asyncio.Task[None]) -> None:
    """A worker that ends before `stop()` is a bug: say so at once, not at shutdown."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the outbox worker stopped", exc_info=task.exception())
