"""Fires due reminders: decides late ones, renders, queues into the outbox, all at once.

A reminder is claimed (`done`), rendered for each recipient and queued in the outbox in one
transaction: either it is queued exactly once, or it stays pending for the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery import api, reports
from bot.i18n import N_, Catalogs, Translator
from bot.labels import labelled
from bot.reminders.kinds import Firing, ReminderKind
from bot.reminders.policy import Decision, late_decision
from bot.reminders.retries import Retries
from bot.settings import Settings
from storage import outbox, people, reminders
from storage.models import Person, Reminder

log = logging.getLogger(__name__)

USELESS = (Decision.TOO_LATE, Decision.SUPERSEDED)
SUPERSEDED_NOTE = N_(
    "Where several reminders of one thing had come due together, only the latest was sent."
)


@dataclass
class Useless:
    """The reminders a sweep dropped as no longer useful: how many of each kind and why, and
    the last one's id (each is dropped once, so the note it ends in is told once)."""

    counts: Counter[tuple[str, Decision]] = field(default_factory=Counter)
    last_id: int = 0

    def add(self, reminder: Reminder, why: Decision) -> None:
        self.counts[reminder.kind, why] += 1
        self.last_id = max(self.last_id, reminder.id)

    def update(self, other: Useless) -> None:
        self.counts.update(other.counts)
        self.last_id = max(self.last_id, other.last_id)


@dataclass(frozen=True)
class ReminderRuntime:
    """What the reminder jobs need; built by the composition root."""

    sessions: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    clock: Clock
    settings: Settings
    kinds: dict[str, ReminderKind]
    running: set[asyncio.Task[Any]] = field(default_factory=set)  # jobs under way
    # Called when reminders were queued: the outbox worker sends them now, not at its next look.
    wake: Callable[[], None] = lambda: None
    # The writer discipline of updates (storage.db.writer_queue), for the jobs that write.
    writers: AbstractAsyncContextManager[Any] = field(default_factory=nullcontext)
    retries: Retries = field(default_factory=Retries)  # failed jobs, tried again soon

    @contextmanager
    def job(self) -> Iterator[None]:
        """Marks the current task as a job under way, so stopping can wait for it:
        APScheduler's asyncio executor cancels running jobs when it shuts down."""
        task = asyncio.current_task()
        assert task is not None
        self.running.add(task)
        try:
            yield
        finally:
            self.running.discard(task)


# What a renderer may raise for one broken reminder; anything else is a bug for all of them.
RENDER_ERRORS = (SQLAlchemyError, LookupError, ValueError, TypeError)


class _OneFailed(Exception):
    """A reminder of the chunk failed on the quick path: the chunk is rolled back and fired
    again one reminder at a time."""


async def fire_due(rt: ReminderRuntime) -> int:
    """Fires every due reminder, a chunk per transaction; returns how many were taken.

    The reminders dropped as no longer useful are counted, and the secretariat gets one note
    with the count at the end of the sweep — not one per reminder: a restart after a long
    stop may drop dozens."""
    fired, chunk, useless = 0, rt.settings.reminder_batch_size, Useless()
    while True:
        try:
            taken = await _fire_chunk(rt, chunk, useless, one_by_one=False)
        except _OneFailed:
            taken = await _fire_chunk(rt, chunk, useless, one_by_one=True)
        if taken:
            rt.wake()
        fired += taken
        if taken < chunk:
            break
    if useless.counts:
        await _tell_useless(rt, useless)
    return fired


async def _fire_chunk(
    rt: ReminderRuntime, chunk: int, useless: Useless, *, one_by_one: bool
) -> int:
    """Claims and fires up to `chunk` reminders in one transaction; counts into `useless`
    the kinds of those dropped as no longer useful, once the transaction commits.

    The quick path queues the whole chunk's messages together, a handful of statements
    in all: 10,000 reminders in a minute leave SQLite's one write lock to the outbox worker
    most of the time. Should one reminder fail, it all rolls back and goes again one by one,
    each in a savepoint, so the failed one alone is dropped.
    """
    dropped = Useless()
    async with rt.sessions() as session, session.begin():
        now = rt.clock.now()
        due = await reminders.claim_due(session, now, chunk)
        latest = await reminders.latest_due(session, {r.subject for r in due if r.subject}, now)
        sweep = _Sweep(session, rt, now, latest, dropped)
        if one_by_one:
            for reminder in due:
                await _fire_isolated(sweep, reminder)
        else:
            try:
                planned = [(r, await _plan(sweep, r)) for r in due]
                await _queue(session, planned, now)
            except RENDER_ERRORS as error:
                log.info("a reminder failed; firing its chunk one by one (%r)", error)
                raise _OneFailed from error
    useless.update(dropped)
    return len(due)


@dataclass(frozen=True)
class _Sweep:
    """What firing one chunk's reminders shares: the transaction, the time, the latest due
    time of each subject, and the count of those dropped as no longer useful."""

    session: AsyncSession
    rt: ReminderRuntime
    now: datetime
    latest: dict[str, datetime]
    dropped: Useless


async def _fire_isolated(sweep: _Sweep, reminder: Reminder) -> None:
    """Fires one reminder in a savepoint, so that one broken renderer cannot hold up the
    rest of the chunk forever: its reminder is dropped with the error, the others go."""
    try:
        async with sweep.session.begin_nested():
            await _queue(sweep.session, [(reminder, await _plan(sweep, reminder))], sweep.now)
    except RENDER_ERRORS as error:
        log.exception("reminder %s (%s) failed", reminder.id, reminder.kind)
        reminders.drop(reminder, f"failed: {type(error).__name__}")


async def _plan(sweep: _Sweep, reminder: Reminder) -> list[outbox.NewMessage] | None:
    """The messages a reminder sends; None when it was dropped before rendering (unknown
    kind, no longer useful)."""
    kind = sweep.rt.kinds.get(reminder.kind)
    if kind is None:
        log.error("reminder %s has unknown kind %r", reminder.id, reminder.kind)
        reminders.drop(reminder, "unknown kind")
        return None
    latest = sweep.latest.get(reminder.subject) if reminder.subject else None
    decision = late_decision(reminder.due_at, sweep.now, kind.late, reminder.expires_at, latest)
    if decision in USELESS:
        reminders.drop(reminder, decision.value)
        sweep.dropped.add(reminder, decision)
        return None
    late = decision is Decision.SEND_LATE
    messages: list[outbox.NewMessage] = []
    for chat_id, t in await _recipients(sweep.session, sweep.rt, reminder):
        firing = Firing(sweep.session, reminder, t, sweep.now, late, sweep.rt.catalogs)
        reply = await kind.render(firing)
        if reply is not None:
            messages += api.messages_for(
                replace(reply, chat_id=chat_id),
                purpose=f"reminder:{kind.name}",
                dedup_key=f"reminder:{reminder.id}:{chat_id}",
            )
    return messages


async def _queue(
    session: AsyncSession,
    planned: list[tuple[Reminder, list[outbox.NewMessage] | None]],
    now: datetime,
) -> None:
    """Queues the planned messages together; a reminder with nothing queued is obsolete."""
    added = iter(await outbox.add_all(session, [m for _, ms in planned for m in ms or []], now))
    for reminder, messages in planned:
        # A list, not a generator: each of its messages' flags is taken, queued or not.
        if messages is not None and not any([next(added) for _ in messages]):
            reminders.drop(reminder, "obsolete")


async def _recipients(
    session: AsyncSession, rt: ReminderRuntime, reminder: Reminder
) -> list[tuple[int, Translator]]:
    """The chats to send to, each with its language: the person, the chat, or a role."""
    catalogs = rt.catalogs
    if reminder.person_id is not None:
        person = await session.get(Person, reminder.person_id)
        return [(person.chat_id, _translator(catalogs, person))] if person else []
    if reminder.chat_id is not None:
        return [(reminder.chat_id, catalogs.translator(rt.settings.default_locale))]
    assert reminder.role is not None
    holders = await people.with_roles(session, [reminder.role])
    return [(person.chat_id, _translator(catalogs, person)) for person in holders]


def _translator(catalogs: Catalogs, person: Person) -> Translator:
    return catalogs.for_person(person.locale, person.language_code)


async def _tell_useless(rt: ReminderRuntime, useless: Useless) -> None:
    """One note to the secretariat: how many reminders, of which kinds, were not sent."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        await reports.tell_secretariat(
            session,
            rt.catalogs,
            lambda t: _useless_note(t, rt.kinds, useless),
            purpose="reminder-dropped",
            dedup_key=f"reminders-not-useful:{useless.last_id}",
            now=now,
        )
    rt.wake()


def _useless_note(t: Translator, kinds: dict[str, ReminderKind], useless: Useless) -> str:
    count = sum(useless.counts.values())
    head = t.nt(
        "{count} reminder was not sent because it was too late to be useful by the time the "
        "bot could send it:",
        "{count} reminders were not sent because they were too late to be useful by the time "
        "the bot could send them:",
        count,
    ).format(count=count)
    by_kind = Counter[str]()
    for (name, _why), n in useless.counts.items():
        by_kind[name] += n
    lines = [labelled(t, t(kinds[name].label), n) for name, n in sorted(by_kind.items())]
    if any(why is Decision.SUPERSEDED for _name, why in useless.counts):
        lines.append(t(SUPERSEDED_NOTE))
    return "\n".join([head, *lines])
