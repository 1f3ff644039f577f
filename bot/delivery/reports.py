"""Messages the delivery machinery itself writes: progress, final reports, notes to staff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from babel.dates import format_timedelta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import notes
from bot.delivery.content import columns
from bot.i18n import N_, Catalogs, Translator
from bot.protocol import Reply
from storage import outbox, people
from storage.models import Person, Role
from storage.names import printed_names

PROGRESS = N_(
    "Sending “{title}”: {sent} sent, {failed} failed, {blocked} blocked, of {total}. "
    "About {left} left."
)
FINISHED = N_(
    "“{title}” is delivered: {sent} sent, {failed} failed, {blocked} blocked, of {total}."
)
UNKNOWN = N_("{unknown} were being sent when the bot stopped, so they may have arrived twice.")
CANCELLED = N_("{cancelled} were not sent: the sending was cancelled.")
UNREACHABLE = N_("Not reachable, they blocked the bot: {names}.")
FAILED_BECAUSE = N_("Why they failed: {reasons}.")
REASONS_SHOWN = 5
AND_MORE = N_("{names} and {more} more")
BLOCKED_ONE = N_(
    "{name} has blocked the bot, so a message to them was not delivered. Nothing more is "
    "sent to them until they write to the bot again."
)
NAMES_SHOWN = 20


def progress_text(t: Translator, title: str, counts: outbox.Counts, seconds: float) -> str:
    left = format_timedelta(timedelta(seconds=max(seconds, 1)), locale=t.locale)
    return t(PROGRESS).format(title=title, left=left, **_figures(counts))


def final_text(
    t: Translator,
    title: str,
    counts: outbox.Counts,
    names: Sequence[str],
    reasons: Sequence[tuple[str, int]] = (),
) -> str:
    """The closing figures; why sends failed (Telegram's words, with how many); unreachable
    people by name, so the secretariat can follow up."""
    lines = [t(FINISHED).format(title=title, **_figures(counts))]
    if reasons:
        listed = "; ".join(f"{reason or '?'} ({n})" for reason, n in reasons)
        lines.append(t(FAILED_BECAUSE).format(reasons=listed))
    if counts.unknown:
        lines.append(t(UNKNOWN).format(unknown=counts.unknown))
    if counts.cancelled:
        lines.append(t(CANCELLED).format(cancelled=counts.cancelled))
    if names:
        shown = ", ".join(names[:NAMES_SHOWN])
        if counts.blocked > NAMES_SHOWN:
            shown = t(AND_MORE).format(names=shown, more=counts.blocked - NAMES_SHOWN)
        lines.append(t(UNREACHABLE).format(names=shown))
    return "\n".join(lines)


def _figures(counts: outbox.Counts) -> dict[str, int]:
    return {
        "sent": counts.sent + counts.unknown,
        "failed": counts.failed,
        "blocked": counts.blocked,
        "total": counts.total,
    }


async def names_of(session: AsyncSession, chat_ids: Sequence[int]) -> list[str]:
    """How the secretariat knows the people behind these chats: the roster's name, with the
    Telegram name beside it when different (storage/names.py); the chat id for a stranger."""
    found = (await session.scalars(select(Person).where(Person.chat_id.in_(chat_ids)))).all()
    printed = await printed_names(session, found)
    known = {person.chat_id: printed[person.id] for person in found}
    return [known.get(chat, str(chat)) for chat in chat_ids]


async def tell_secretariat(
    session: AsyncSession,
    catalogs: Catalogs,
    render: Callable[[Translator], str],
    *,
    purpose: str,
    dedup_key: str,
    now: datetime,
) -> None:
    """Queues a note to every secretariat member, each in their own language, once per key."""
    for person in await people.with_roles(session, [Role.SECRETARIAT]):
        t = catalogs.for_person(person.locale, person.language_code)
        await outbox.add(
            session,
            person.chat_id,
            columns(Reply(render(t))),
            purpose=purpose,
            now=now,
            dedup_key=f"{dedup_key}:{person.chat_id}",
        )


async def report_blocked(
    session: AsyncSession, catalogs: Catalogs, chat_id: int, now: datetime
) -> None:
    """Tells the secretariat that someone blocked the bot (broadcasts report it at the end):
    news that asks nothing of them, gathered with the rest of the minute (issue 20)."""
    name = (await names_of(session, [chat_id]))[0]
    await notes.gather(
        session,
        catalogs,
        await people.with_roles(session, [Role.SECRETARIAT]),
        lambda t: t(BLOCKED_ONE).format(name=name),
        now,
        dedup_key=f"blocked:{chat_id}:{int(now.timestamp())}",
    )
