"""The outbox worker: claims due messages, sends each in its rate-limited slot, records it.

Why nothing is lost and nothing goes twice:

- a row is marked `sending` by this worker (committed) before its send, and its result is
  committed after; a crash between the two leaves it `sending`;
- the rows a worker holds (`sending`, not yet recorded) never exceed `delivery_max_in_flight`;
- a worker that stops heart-beating is dead; its `sending` rows go back to `pending`, marked
  `uncertain`, and are sent again: nobody is missed, and at most the in-flight rows may arrive
  twice — reported as `unknown`;
- `stop()` stops claiming, gives back the rows not yet sent, waits for the sends under way
  and records them: a graceful stop duplicates nothing;
- on PostgreSQL rows are claimed with `FOR UPDATE SKIP LOCKED`, so workers never share one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery import confirmations, reports
from bot.delivery.content import reply_of
from bot.delivery.policy import REPLY, RetryLimits, Verdict, verdict
from bot.delivery.progress import Display, Progress
from bot.delivery.ratelimit import FloodWatch, RateLimiter, apply_retry_after, share_of_rate
from bot.delivery.transport import Blocked, DeliveryError, RetryAfter, Transient, Transport
from bot.i18n import Catalogs
from bot.settings import Settings
from storage import outbox
from storage.models import DeliveryStatus, OutboxMessage

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
FLUSH_AFTER = 0.25  # seconds a result may wait to be written with others
SENT = (DeliveryStatus.SENT, DeliveryStatus.UNKNOWN)  # Telegram confirmed it (once at least)


@dataclass
class _Result:
    row: OutboxMessage
    verdict: Verdict
    error: DeliveryError | None


def worker_name() -> str:
    """Unique per process start, readable in the database: host, pid, a random tail."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxWorker:
    """Delivers the outbox through one transport, within the limiter's pace."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        limiter: RateLimiter,
        settings: Settings,
        clock: Clock,
        catalogs: Catalogs,
        *,
        name: str | None = None,
        sleep: Sleep = asyncio.sleep,
        watch: FloodWatch | None = None,
    ) -> None:
        self.sessions, self.transport, self.limiter = sessions, transport, limiter
        self.settings, self.clock, self.catalogs = settings, clock, catalogs
        self.name = name or worker_name()
        self._sleep = sleep
        self._progress = Progress(sessions, catalogs, settings)
        self._limits = RetryLimits(
            settings.delivery_max_attempts,
            settings.delivery_backoff,
            settings.delivery_backoff_max,
        )
        self._watch = watch or FloodWatch()  # shared with the engine's replies (Delivery)
        self._queue: list[OutboxMessage | Display] = []  # claimed, waiting for their slot
        self._running: set[asyncio.Task[None]] = set()
        self._results: list[_Result] = []
        self._held = 0  # rows claimed and not yet recorded: the in-flight count
        self._exhausted = False  # the last claim found fewer rows than it asked for
        self._stopping = False
        self._wake = asyncio.Event()
        self._next_upkeep: datetime | None = None
        self._first_result_at = 0.0
        self._books: asyncio.Task[None] | None = None  # the database side, beside the pacing
        self._showing: dict[int, Display | None] = {}  # batch -> a newer update, waiting

    # -- life cycle --------------------------------------------------------------------------

    async def run(self) -> None:
        """Delivers until `stop()`, then drains. Survives the database going away for a while."""
        await self.start()
        while not self._stopping:
            await self.step()
        await self._drain()

    async def start(self) -> None:
        """Registers this worker and takes back what dead workers held."""
        await self._upkeep(first=True)

    def stop(self) -> None:
        """Asks `run` to finish: no new claims; sends under way complete and are recorded."""
        self._stopping = True
        self._wake.set()

    def wake(self) -> None:
        """Something was just queued: look now rather than at the next poll."""
        self._exhausted = False
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return self._held

    async def run_until_idle(self, max_steps: int = 1_000_000) -> None:
        """Steps until no message is pending or being sent anywhere and every broadcast has
        reported (tests, benchmark)."""
        if self._next_upkeep is None:
            await self.start()
        for _ in range(max_steps):
            await self.step()
            # Asked again after the query: a send may have finished while it ran.
            if self._idle_here() and not await self._unfinished() and self._idle_here():
                await self._drain()
                return
        raise RuntimeError("outbox not idle after max_steps")

    # -- one turn ----------------------------------------------------------------------------

    async def step(self) -> None:
        """Starts the bookkeeping if due, then sends the next job in its slot, or rests."""
        if self._books is None or self._books.done():
            if self._books is not None:
                self._books.result()  # a bug in the bookkeeping surfaces here, not lost
            self._books = None
            if self._flush_due() or self._upkeep_due() or self._claim_wanted():
                self._books = asyncio.create_task(self._keep_books())
        job = self._next_job()
        if job is None:
            await self._nap()
        else:
            await self._pace(job)

    async def _keep_books(self) -> None:
        """The database side, beside the pacing so a slow write never delays a send:
        records results, does upkeep, claims more rows. Survives the database going away."""
        try:
            if self._flush_due():
                await self._flush()
            if self._upkeep_due():
                await self._upkeep()
            if self._claim_wanted():
                await self._claim()
        except (SQLAlchemyError, OSError) as error:
            log.warning("outbox worker: database unavailable (%s)", type(error).__name__)
            await self._sleep(self.settings.delivery_poll_interval)

    def _upkeep_due(self) -> bool:
        return self._next_upkeep is None or self.clock.now() >= self._next_upkeep

    def _claim_wanted(self) -> bool:
        room = self.settings.delivery_max_in_flight - self._held
        wanted = max(1, self.settings.delivery_max_in_flight // 2)
        if self._stopping or self._exhausted or room < wanted:
            return False
        # Under a global hold, claiming would only keep rows idle.
        return self.limiter.held_until(self._seconds()) - self._seconds() <= self._release_after

    def _flush_due(self) -> bool:
        if not self._results:
            return False
        waited = self._seconds() - self._first_result_at
        half = max(1, self.settings.delivery_max_in_flight // 2)
        return not self._queue or len(self._results) >= half or waited >= FLUSH_AFTER

    async def _claim(self) -> None:
        room = self.settings.delivery_max_in_flight - self._held
        async with self.sessions() as session, session.begin():
            rows = await outbox.claim(session, self.name, room, self.clock.now())
        self._held += len(rows)
        self._queue.extend(rows)
        self._exhausted = len(rows) < room

    def _next_job(self) -> OutboxMessage | Display | None:
        if not self._queue:
            return None
        now = self._seconds()
        return min(
            self._queue,
            key=lambda job: (
                self.limiter.earliest(job.chat_id, now, _urgent(job)),
                _priority(job),
            ),
        )

    async def _pace(self, job: OutboxMessage | Display) -> None:
        """Sends `job` in its slot; rows whose chat is held for long go back to the outbox."""
        now = self._seconds()
        wait = self.limiter.earliest(job.chat_id, now, _urgent(job)) - now
        if wait > self._release_after:
            await self._release_held(now)
            return
        if wait > 0:
            # Wait, then decide afresh: the slot is booked at the moment of sending, so the
            # pace holds between actual sends however late a turn runs (ratelimit.SLACK).
            await self._rest(min(wait, self.settings.delivery_poll_interval))
            return
        self.limiter.book(job.chat_id, now, _urgent(job))
        self._queue.remove(job)
        self._launch(job)

    async def _release_held(self, now: float) -> None:
        """Gives back the queued rows that cannot go soon (a 429 hold), to be claimed later;
        drops progress updates held up the same way, as the next one is due soon anyway."""
        limit = now + self._release_after
        late = [
            job
            for job in self._queue
            if self.limiter.earliest(job.chat_id, now, _urgent(job)) > limit
        ]
        self._queue = [job for job in self._queue if job not in late]
        for display in late:
            if isinstance(display, Display):
                self._showing.pop(display.batch_id, None)
        await self._release([job for job in late if isinstance(job, OutboxMessage)])

    async def _release(self, rows: list[OutboxMessage]) -> None:
        """Gives rows back to the outbox, each due when its chat may next be sent to, so a
        429 hold outlives this worker."""
        if not rows:
            return
        now, seconds = self.clock.now(), self._seconds()
        wait = {
            row.id: self.limiter.earliest(row.chat_id, seconds, _urgent(row)) - seconds
            for row in rows
        }
        due = [(id_, now + timedelta(seconds=after)) for id_, after in wait.items()]
        async with self.sessions() as session, session.begin():
            await outbox.release(session, self.name, due)
        self._held -= len(rows)

    def _launch(self, job: OutboxMessage | Display) -> None:
        coroutine = self._attempt(job) if isinstance(job, OutboxMessage) else self._show(job)
        task = asyncio.create_task(coroutine)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _nap(self) -> None:
        """Nothing to send now: waits for a send or the bookkeeping to finish, or a poll."""
        busy = self._running | ({self._books} if self._books else set())
        if busy:
            await asyncio.wait(
                busy, timeout=self.settings.delivery_poll_interval, return_when=FIRST_COMPLETED
            )
            return
        if not self._results:
            await self._rest(self.settings.delivery_poll_interval)
        self._exhausted = False

    async def _rest(self, seconds: float) -> None:
        """Sleeps `seconds`, or less when woken or when the bookkeeping brings new rows."""
        if not self._wake.is_set():
            waiter = asyncio.ensure_future(self._wake.wait())
            books = self._books
            if books is not None and not books.done():
                await asyncio.wait({waiter, books}, timeout=seconds, return_when=FIRST_COMPLETED)
            else:
                sleeper = asyncio.ensure_future(self._sleep(seconds))
                await asyncio.wait({waiter, sleeper}, return_when=FIRST_COMPLETED)
                sleeper.cancel()
            waiter.cancel()
        self._wake.clear()

    # -- sending -------------------------------------------------------------------------------

    async def _attempt(self, row: OutboxMessage) -> None:
        try:
            result: int | DeliveryError = await self._carry(row)
        except DeliveryError as error:
            result = error
        except Exception:  # a transport bug must not strand the row
            log.exception("transport failed on outbox row %s", row.id)
            result = Transient("unexpected transport error", maybe_delivered=True)
        now = self.clock.now()
        error = result if isinstance(result, DeliveryError) else None
        self._observe(row.chat_id, error, self.limiter.at(now))
        decided = verdict(row.attempts, row.uncertain, result, now, self._limits)
        self._keep(_Result(row, decided, error))
        if isinstance(error, Blocked):
            self._stop_queued_to(row.chat_id, now)

    async def _carry(self, row: OutboxMessage) -> int:
        """Sends the row's message; a row naming `delete_message_id` deletes that message
        instead (notices: copies taken back), paced and recorded like a send."""
        if row.delete_message_id is not None:
            await self.transport.delete(row.chat_id, row.delete_message_id)
            return row.delete_message_id
        return await self.transport.send(row.chat_id, reply_of(row))

    def _keep(self, result: _Result) -> None:
        if not self._results:
            self._first_result_at = self._seconds()
        self._results.append(result)

    def _stop_queued_to(self, chat_id: int, now: datetime) -> None:
        """Once a chat has blocked the bot, its other queued messages are not even tried."""
        for job in [j for j in self._queue if j.chat_id == chat_id]:
            self._queue.remove(job)
            if isinstance(job, OutboxMessage):
                stopped = Verdict(DeliveryStatus.BLOCKED, job.attempts, now, job.uncertain)
                self._keep(_Result(job, stopped, None))

    async def _show(self, display: Display) -> None:
        shown = await self._progress.show(display, self.transport, self.clock.now())
        error = shown if isinstance(shown, DeliveryError) else None
        self._observe(display.chat_id, error, self._seconds())
        newer = self._showing.pop(display.batch_id, None)
        if newer is not None:  # came due while this one was out: it edits the same message
            message_id = newer.message_id or (shown.message_id if error is None else None)
            self._show_next(replace(newer, message_id=message_id))

    def _show_next(self, display: Display) -> None:
        """Queues a progress update; one per batch at a time, or a second message could start
        before the first one's id is known."""
        if display.batch_id in self._showing:
            self._showing[display.batch_id] = display
        else:
            self._showing[display.batch_id] = None
            self._queue.append(display)

    def _observe(self, chat_id: int, error: DeliveryError | None, now: float) -> None:
        """Feeds the limiter: a 429 holds the chat, or everyone when the bot is flooded."""
        if isinstance(error, RetryAfter):
            scoped = error.chat_id is not None
            if apply_retry_after(self.limiter, self._watch, chat_id, error.seconds, scoped, now):
                log.warning("flood control: all sends held for %s s", error.seconds)
        else:
            self._watch.record(flooded=False)

    # -- recording -----------------------------------------------------------------------------

    async def _flush(self) -> None:
        """Writes the results gathered so far in one transaction; on failure keeps them."""
        results, self._results = self._results, []
        now = self.clock.now()
        try:
            async with self.sessions() as session, session.begin():
                await outbox.record(session, self.name, [_update(r) for r in results])
                for result in results:
                    await self._consequences(session, result, now)
        except (SQLAlchemyError, OSError):
            self._results = results + self._results
            raise
        self._held -= len(results)

    async def _consequences(self, session: AsyncSession, result: _Result, now: datetime) -> None:
        error, row = result.error, result.row
        if row.on_sent and result.verdict.status in SENT:
            await confirmations.record(session, row.on_sent, result.verdict.sent_at or now)
        if isinstance(error, Blocked):
            first = await outbox.mark_unreachable(session, row.chat_id, error.reason, now)
            if first and row.batch_id is None:
                await reports.report_blocked(session, self.catalogs, row.chat_id, now)
        elif isinstance(error, RetryAfter):
            await outbox.defer_chat(session, row.chat_id, result.verdict.next_attempt_at)

    # -- upkeep --------------------------------------------------------------------------------

    async def _upkeep(self, first: bool = False) -> None:
        """Heartbeat, recovery of dead workers' rows, blocked chats, this process's share of
        the send rate, broadcast progress."""
        now = self.clock.now()
        timeout = timedelta(seconds=self.settings.delivery_worker_timeout)
        async with self.sessions() as session, session.begin():
            await outbox.heartbeat(session, self.name, now)
            # On SQLite only one process runs, so at start every other worker is dead.
            others_dead = first and session.bind.dialect.name == "sqlite"
            taken = await outbox.recover(session, self.name, now - timeout, now, others_dead)
            await outbox.block_pending(session)
            live = await outbox.live_workers(session, now - timeout)
        self.limiter.rate = share_of_rate(self.settings.send_rate, live)
        if taken:
            log.warning("took back %s messages from a stopped worker; resending them", taken)
        # Look again at each heartbeat: rows queued by a transaction that did not wake this
        # worker (another process, a broadcast) must not wait behind a steady stream of
        # progress updates, which keep the worker from ever resting.
        self._exhausted = False
        seconds = self._seconds()
        waiting = self.limiter.held_until(seconds) - seconds
        for display in await self._progress.due(now, waiting):
            self._show_next(display)
        self._next_upkeep = now + timedelta(seconds=self.settings.delivery_heartbeat)

    async def _drain(self) -> None:
        """Gives back unsent rows, lets the sends under way finish, records, signs off."""
        if self._books is not None:
            await self._books
            self._books = None
        unsent = [job for job in self._queue if isinstance(job, OutboxMessage)]
        self._queue.clear()
        await self._release(unsent)
        if self._running:
            await asyncio.wait(self._running, timeout=self.settings.delivery_drain_timeout)
        await self._flush()
        if self._held == 0:  # else the rows still out are taken back, as uncertain, by others
            async with self.sessions() as session, session.begin():
                await outbox.leave(session, self.name)

    # -- helpers -------------------------------------------------------------------------------

    @property
    def _release_after(self) -> float:
        return self.settings.delivery_release_after

    def _seconds(self) -> float:
        return self.limiter.at(self.clock.now())

    def _idle_here(self) -> bool:
        books = self._books is not None and not self._books.done()
        return not (self._queue or self._running or self._results or books)

    async def _unfinished(self) -> int:
        async with self.sessions() as session:
            return (await outbox.counts(session)).open + await outbox.open_batches(session)


def _urgent(job: OutboxMessage | Display) -> bool:
    """A reply someone is waiting for, paced as the engine's own replies (policy.REPLY)."""
    return isinstance(job, OutboxMessage) and job.purpose == REPLY


def _priority(job: OutboxMessage | Display) -> int:
    return job.priority if isinstance(job, OutboxMessage) else outbox.PRIORITY_PERSONAL


def _update(result: _Result) -> outbox.Update:
    v = result.verdict
    return outbox.Update(
        result.row.id,
        v.status,
        v.attempts,
        v.next_attempt_at,
        v.uncertain,
        v.last_error,
        v.message_id,
        v.sent_at,
    )
