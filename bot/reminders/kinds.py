"""Kinds of reminder: how each is rendered for its recipient and how late it may still go."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Catalogs, Translator
from bot.protocol import Reply
from bot.reminders.policy import LatePolicy
from storage.models import Reminder


@dataclass(frozen=True)
class Firing:
    """What a renderer gets: the reminder, the recipient's translator, the time, the session
    (to re-check that the reminder still applies — an event cancelled, a notice read)."""

    session: AsyncSession
    reminder: Reminder
    t: Translator
    now: datetime
    late: bool
    catalogs: Catalogs | None = None  # for kinds that write to other people in their language


Render = Callable[[Firing], Awaitable[Reply | None]]  # None: obsolete, so not sent


@dataclass(frozen=True)
class ReminderKind:
    name: str
    label: str  # msgid naming the kind, for the note to the secretariat when one is dropped
    render: Render
    late: LatePolicy = field(default_factory=LatePolicy)


def reminder_kinds() -> dict[str, ReminderKind]:
    """Every kind the bot fires; each feature adds its own kinds to this list."""
    from bot.reminders import obligations
    from bot.services import events, meetings, membership, notices

    every = [
        *obligations.kinds(),
        *notices.reminder_kinds(),
        *events.reminder_kinds(),
        *meetings.reminder_kinds(),
        *membership.reminder_kinds(),
    ]
    return {kind.name: kind for kind in every}
