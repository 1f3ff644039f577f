"""Notices (art. 13(1), 16(2), 17, 33): prepare, preview, send through the outbox, cancel,
take copies back, acknowledgements with reminders, what a contact sees, reports.

A notice is prepared as a draft row when the secretariat asks for the preview, and the
preview is `render(...)` of that very row: what recipients get is the same function on the
same row, in their language (only the labels of our own buttons and lines are translated;
the secretariat's text goes as written, its formatting kept as Telegram HTML).

Taking copies back: Telegram lets a bot delete its messages for 48 hours. The deletions
are outbox rows too (`delete_message_id`), in a batch of their own: paced by the same worker,
recorded, reported to the secretariat with a progress message like any broadcast.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter import notices as rules
from bot.charter.membership import HAS_RIGHTS
from bot.charter.notices import Audience, AudienceKind
from bot.clock import local_date
from bot.delivery import api
from bot.delivery.content import columns
from bot.errors import DomainError
from bot.i18n import N_, SUPPORTED, Catalogs, Translator
from bot.protocol import Button, OutgoingFile, Reply
from bot.reminders.kinds import Firing, ReminderKind
from bot.routing import button_data
from bot.services import documents
from bot.services.membership import record_participation
from storage import audit, outbox, people, reminders
from storage import meetings as stored_meetings
from storage import notices as stored
from storage.models import DeliveryStatus, OutboxMessage, Person, Role, Unit, UnitStatus
from storage.notices_models import Notice, NoticeRecipient, NoticeStatus

ACK = "nack"  # button code: acknowledge a notice
OPEN = "nopen"  # button code: show a notice again (/notices)
SEND_KIND, REMIND_KIND = "notice_send", "notice_remind"
DELETE_WINDOW = timedelta(hours=48)  # Telegram deletes a bot's messages for this long
RECENT = timedelta(days=90)
TITLE_LENGTH = 60
# Telegram's limit on a message's text, counted as Telegram counts it (`telegram_length`).
# A file takes at most 1,024 as its caption: a longer text goes just before it, as a message
# of its own (bot/delivery/content.parts), so a notice with a file may be as long.
MESSAGE_LIMIT = 4096

ACK_LABEL = N_("✅ Acknowledge (已阅)")
ACK_BY = N_("Please acknowledge by {when}.")
ACK_ASKED = N_("Please acknowledge that you have read it.")
TOO_LONG = N_(
    "As it will be sent, the notice is {length} characters long: {excess} too many for "
    "Telegram, which allows {limit}."
)
TOO_LONG_WITH_ACK = N_(
    "With the line that asks for the acknowledgement, the notice as it will be sent is up to "
    "{length} characters long: {excess} too many for Telegram, which allows {limit}."
)
REMINDER = N_("Reminder: please acknowledge the notice “{title}” by {when}.")
REMINDER_NO_DEADLINE = N_("Reminder: please acknowledge the notice “{title}”.")
REMINDED = N_("Reminded {count} recipients of “{title}” who have not acknowledged it yet.")
GOING_OUT = N_("The scheduled notice “{title}” is going out now, to {count} recipients.")
SEND_LABEL = N_("scheduled notice")
REMIND_LABEL = N_("reminder to acknowledge a notice")
NOT_FOR_YOU = N_("This notice is not addressed to you.")
GONE = N_("This notice was cancelled.")


@dataclass(frozen=True)
class Draft:
    """The answers of the /broadcast form."""

    html: str
    audience: Audience
    file_name: str | None = None
    file_id: str | None = None
    links: tuple[tuple[str, str], ...] = ()
    ack_required: bool = False
    ack_deadline: datetime | None = None
    remind_at: tuple[datetime, ...] = ()
    send_at: datetime | None = None  # None: now
    fund_upload_id: int | None = None  # art. 33: the report, published as a members' document


def title_of(text_html: str) -> str:
    """The notice's name in lists and reports: its first line, without formatting."""
    plain = html.unescape(_strip_tags(text_html)).strip().splitlines()
    first = plain[0] if plain else ""
    return first[:TITLE_LENGTH] + ("…" if len(first) > TITLE_LENGTH else "")


def _strip_tags(text: str) -> str:
    out, inside = [], False
    for char in text:
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
        elif not inside:
            out.append(char)
    return "".join(out)


# -- preparing and rendering --------------------------------------------------------------


async def prepare(
    session: AsyncSession, draft: Draft, actor_id: int, now: datetime, notice_id: int | None
) -> Notice:
    """Checks the answers and keeps them as the draft notice the preview shows (the same row
    again when the secretariat went back and changed something)."""
    draft = on_the_minute(draft)
    send_at = draft.send_at or now
    _check(draft, send_at, now)
    notice = await stored.get(session, notice_id) if notice_id else None
    if notice is None or notice.status is not NoticeStatus.DRAFT or notice.created_by != actor_id:
        notice = await stored.add(session, _new(draft, actor_id, now, send_at))
        return notice
    _fill(notice, draft, send_at)
    await session.flush()
    return notice


def on_the_minute(draft: Draft) -> Draft:
    """A deadline, a reminder and a chosen sending time are whole minutes, as people read
    them; one with seconds goes to the next minute, so it is never earlier than asked."""
    return replace(
        draft,
        ack_deadline=_next_minute(draft.ack_deadline) if draft.ack_deadline else None,
        remind_at=tuple(_next_minute(moment) for moment in draft.remind_at),
        send_at=_next_minute(draft.send_at) if draft.send_at else None,
    )


def _next_minute(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _check(draft: Draft, send_at: datetime, now: datetime) -> None:
    if send_at < now:
        raise DomainError(N_("The sending time must be in the future."))
    if draft.ack_deadline is None:
        return
    if rules.deadline_problem(draft.ack_deadline, send_at):
        raise DomainError(N_("The acknowledgement deadline must be after the notice goes out."))
    if rules.reminder_problem(draft.remind_at, send_at, draft.ack_deadline):
        raise DomainError(
            N_(
                "Reminders must fall after the notice goes out and no later than its deadline, "
                "at most {count} of them."
            ),
            count=rules.MAX_REMINDERS,
        )


def _new(draft: Draft, actor_id: int, now: datetime, send_at: datetime) -> Notice:
    notice = Notice(status=NoticeStatus.DRAFT, created_by=actor_id, created_at=now)
    _fill(notice, draft, send_at)
    return notice


def _fill(notice: Notice, draft: Draft, send_at: datetime) -> None:
    notice.title = title_of(draft.html) or (draft.file_name or "")[:TITLE_LENGTH]
    notice.html = draft.html
    notice.file_name, notice.file_id = draft.file_name, draft.file_id
    notice.links = [list(link) for link in draft.links]
    notice.audience, notice.audience_value = draft.audience.kind, draft.audience.value
    notice.unit_ids = sorted(draft.audience.unit_ids)
    notice.ack_required = draft.ack_required
    notice.ack_deadline = draft.ack_deadline if draft.ack_required else None
    notice.remind_at = [t.isoformat() for t in draft.remind_at] if draft.ack_required else []
    notice.send_at = send_at
    notice.report_upload_id = draft.fund_upload_id


def audience_of(notice: Notice) -> Audience:
    return Audience(
        AudienceKind(notice.audience), notice.audience_value, frozenset(notice.unit_ids)
    )


def render(notice: Notice, t: Translator) -> Reply:
    """The notice as one recipient sees it; the preview is this same function."""
    text = sent_text(notice.html, notice.ack_required, notice.ack_deadline, t)
    rows = [(Button(label, url=url),) for label, url in notice.links]
    if notice.report_upload_id is not None:  # published on confirm: the preview's fetches none
        label, data = documents.fetch_button(notice.document_id or 0, "notice")
        rows.append((Button(t(label), data),))
    if notice.ack_required:
        rows.append((Button(t(ACK_LABEL), button_data(ACK, notice.id)),))
    file = OutgoingFile(notice.file_name, file_id=notice.file_id) if notice.file_name else None
    protect = AudienceKind(notice.audience) is not AudienceKind.EVERYONE
    return Reply(text, tuple(rows), file, protect=protect, html=True)


def sent_text(text_html: str, ack_required: bool, deadline: datetime | None, t: Translator) -> str:
    """The text a recipient gets in `t`'s language: the secretariat's, as written, then the
    line that asks for the acknowledgement."""
    if not ack_required:
        return text_html
    line = t(ACK_BY).format(when=t.datetime(deadline)) if deadline else t(ACK_ASKED)
    return f"{text_html}\n\n<i>{html.escape(line)}</i>"


def telegram_length(text_html: str) -> int:
    """A formatted text's length as Telegram counts it against its limits: the text as read
    (tags gone, entities decoded), in UTF-16 code units (an emoji counts two)."""
    read = html.unescape(_strip_tags(text_html))
    return len(read.encode("utf-16-le")) // 2


def longest_length(
    text_html: str, ack_required: bool, deadline: datetime | None, catalogs: Catalogs
) -> int:
    """The notice's `telegram_length` in the language where it is longest: the line that asks
    for the acknowledgement is translated, and each recipient gets their own."""
    return max(
        telegram_length(sent_text(text_html, ack_required, deadline, catalogs.translator(code)))
        for code in SUPPORTED
    )


def length_problem(
    text_html: str, ack_required: bool, deadline: datetime | None, catalogs: Catalogs
) -> DomainError | None:
    """Why Telegram would refuse every copy of the notice as too long, and by how much; None
    when it fits."""
    length = longest_length(text_html, ack_required, deadline, catalogs)
    if length <= MESSAGE_LIMIT:
        return None
    message = TOO_LONG_WITH_ACK if ack_required else TOO_LONG
    return DomainError(message, length=length, excess=length - MESSAGE_LIMIT, limit=MESSAGE_LIMIT)


def check_length(notice: Notice, catalogs: Catalogs) -> None:
    """Refuses to send a notice Telegram would refuse (the form has told the author already)."""
    problem = length_problem(notice.html, notice.ack_required, notice.ack_deadline, catalogs)
    if problem is not None:
        raise problem


# -- audiences ------------------------------------------------------------------------------


async def audience_people(
    session: AsyncSession, audience: Audience
) -> list[tuple[Person, int | None]]:
    """Each person the audience reaches, once, with the unit they are a contact of."""
    pairs = await stored.units_with_contacts(session)
    unit_of = {person.id: unit.id for unit, person in pairs if unit.status in HAS_RIGHTS}
    kind = audience.kind
    if kind in rules.BY_ROLE:
        found = await people.with_roles(session, [rules.BY_ROLE[kind]])
        if kind is AudienceKind.LEADERSHIP:  # art. 15(3), 16(5): a seat follows its unit
            lost = await _seats_without_rights(session)
            found = [person for person in found if person.id not in lost]
        return [(person, unit_of.get(person.id)) for person in found]
    if kind is AudienceKind.EVERYONE:
        return [(person, unit_of.get(person.id)) for person in await stored.everyone(session)]
    chosen, seen = [], set()
    for unit, person in pairs:
        args = (unit.id, unit.status, unit.tier, unit.sub_sectors or [], unit.region)
        if person.id not in seen and rules.unit_in_audience(audience, *args):
            seen.add(person.id)
            chosen.append((person, unit.id))
    return chosen


async def _seats_without_rights(session: AsyncSession) -> set[int]:
    """The people whose seat is held for a unit without member rights now."""
    lost = set()
    for seat in await stored_meetings.active_seats(session):
        unit = await session.get(Unit, seat.unit_id)
        if unit is None or unit.status not in HAS_RIGHTS:
            lost.add(seat.person_id)
    return lost


async def count_recipients(session: AsyncSession, audience: Audience) -> int:
    return len(await audience_people(session, audience))


# -- sending, scheduling, cancelling -------------------------------------------------------


async def confirm(
    session: AsyncSession, catalogs: Catalogs, notice_id: int, actor: Person, now: datetime
) -> tuple[Notice, int]:
    """Sends the previewed notice now, or schedules it; returns it with its recipient count."""
    notice = await stored.get(session, notice_id)
    if notice is None or notice.status is not NoticeStatus.DRAFT:
        raise DomainError(N_("This notice was already sent or cancelled."))
    check_length(notice, catalogs)
    await _publish_fund_report(session, notice, actor.id, now)
    for number, moment in enumerate(notice.remind_at):
        await reminders.schedule(
            session,
            kind=REMIND_KIND,
            person_id=actor.id,
            due_at=datetime.fromisoformat(moment),
            dedup_key=f"notice:{notice.id}:remind:{number}",
            payload={"notice": notice.id},
            now=now,
        )
    await audit.record(session, now, actor.id, "notice.confirm", f"notice:{notice.id}")
    if notice.send_at > now:
        notice.status = NoticeStatus.SCHEDULED
        await reminders.schedule(
            session,
            kind=SEND_KIND,
            person_id=actor.id,
            due_at=notice.send_at,
            dedup_key=f"notice:{notice.id}:send",
            payload={"notice": notice.id},
            now=now,
        )
        return notice, await count_recipients(session, audience_of(notice))
    return notice, await start_sending(session, catalogs, notice, actor, now)


async def _publish_fund_report(
    session: AsyncSession, notice: Notice, actor_id: int, now: datetime
) -> None:
    """Art. 33: the report on the use of funds becomes a members' document, and the notice
    carries the button that fetches it (with the documents' access check and watermark)."""
    if notice.report_upload_id is None:
        return
    draft = documents.DocumentDraft(
        upload_id=notice.report_upload_id,
        title=notice.title,
        description="",
        category="plan",
        audience=documents.Audience(documents.Level.MEMBERS),
    )
    notice.document_id = (await documents.publish(session, draft, actor_id, now)).id


async def start_sending(
    session: AsyncSession, catalogs: Catalogs, notice: Notice, sender: Person, now: datetime
) -> int:
    """Writes one outbox row per recipient (in their language) as one batch whose progress
    and final report go to the sender; returns how many people it goes to."""
    notice.status, notice.sent_at = NoticeStatus.SENDING, now
    reached = await audience_people(session, audience_of(notice))
    replies = [replace(_for(catalogs, notice, p), chat_id=p.chat_id) for p, _ in reached]
    locale = catalogs.for_person(sender.locale, sender.language_code).locale
    batch = await api.broadcast(
        session,
        replies,
        title=notice.title,
        purpose="notice",
        starter_chat_id=sender.chat_id,
        locale=locale,
        now=now,
    )
    notice.batch_id = batch.id
    rows = await stored.outbox_rows_by_chat(session, batch.id)
    await stored.add_recipients(
        session, [_recipient(notice, p, unit, rows.get(p.chat_id, []), now) for p, unit in reached]
    )
    await audit.record(
        session, now, sender.id, "notice.send", f"notice:{notice.id}", count=len(reached)
    )
    return len(reached)


def _for(catalogs: Catalogs, notice: Notice, person: Person) -> Reply:
    return render(notice, catalogs.for_person(person.locale, person.language_code))


def _recipient(
    notice: Notice, person: Person, unit_id: int | None, rows: list[int], now: datetime
) -> NoticeRecipient:
    return NoticeRecipient(
        notice_id=notice.id,
        person_id=person.id,
        unit_id=unit_id,
        chat_id=person.chat_id,
        outbox_id=rows[-1] if rows else None,
        lead_outbox_id=rows[0] if len(rows) > 1 else None,
        added_at=now,
        reminded=0,
    )


async def cancel(session: AsyncSession, notice_id: int, actor_id: int, now: datetime) -> int:
    """Stops a notice: a scheduled one never goes; one going out sends no further copy (those
    already sent stay, see `take_back`). Returns how many copies were stopped."""
    notice = await _managed(session, notice_id)
    if notice.status not in (NoticeStatus.SCHEDULED, NoticeStatus.SENDING):
        raise DomainError(N_("This notice can no longer be cancelled."))
    if notice.batch_id is not None and not (await outbox.counts(session, notice.batch_id)).open:
        raise DomainError(N_("Every copy has already gone out; nothing is left to cancel."))
    stopped = await _stop(session, notice, now)
    await audit.record(
        session, now, actor_id, "notice.cancel", f"notice:{notice.id}", stopped=stopped
    )
    return stopped


async def _stop(session: AsyncSession, notice: Notice, now: datetime) -> int:
    """No further copy, no scheduled send, no more reminders; the notice is withdrawn."""
    stopped = await outbox.cancel_batch(session, notice.batch_id) if notice.batch_id else 0
    notice.status, notice.cancelled_at = NoticeStatus.CANCELLED, now
    await reminders.cancel(session, f"notice:{notice.id}:send", now)
    for number in range(len(notice.remind_at)):
        await reminders.cancel(session, f"notice:{notice.id}:remind:{number}", now)
    return stopped


async def take_back(
    session: AsyncSession, notice_id: int, actor: Person, locale: str, now: datetime
) -> int:
    """Deletes the copies sent in the last 48 hours from the recipients' chats, through the
    outbox (see the module's docstring); returns how many deletions were queued."""
    notice = await _managed(session, notice_id)
    if notice.batch_id is None or notice.deletion_batch_id is not None:
        raise DomainError(N_("There are no sent copies of this notice to delete."))
    copies = await _recent_copies(session, notice, now)
    if not copies:
        raise DomainError(
            N_("There are no copies to delete: Telegram allows deleting only for 48 hours.")
        )
    batch = await outbox.start_batch(
        session,
        title=notice.title,
        purpose="notice-delete",
        starter_chat_id=actor.chat_id,
        locale=locale,
        now=now,
    )
    empty = columns(Reply(""))
    rows = [(chat, {**empty, "delete_message_id": message}) for chat, message in copies]
    await outbox.add_to_batch(session, batch, rows, now)
    notice.deletion_batch_id = batch.id
    await _stop(session, notice, now)
    await audit.record(
        session, now, actor.id, "notice.delete", f"notice:{notice.id}", count=len(rows)
    )
    return len(rows)


async def _recent_copies(
    session: AsyncSession, notice: Notice, now: datetime
) -> list[tuple[int, int]]:
    rows = await stored.sent_copies(session, notice.id)
    if notice.sent_at is None or now - notice.sent_at > DELETE_WINDOW:
        return []
    sent = {r.message_id: r for r in await _outbox_rows(session, notice.id)}
    return [(c, m) for c, m in rows if m in sent and now - _at(sent[m]) < DELETE_WINDOW]


async def _outbox_rows(session: AsyncSession, notice_id: int) -> list[OutboxMessage]:
    found = []
    for recipient in await stored.recipients(session, notice_id):
        for row_id in (recipient.outbox_id, recipient.lead_outbox_id):
            row = await session.get(OutboxMessage, row_id) if row_id else None
            if row is not None and row.sent_at is not None:
                found.append(row)
    return found


def _at(row: OutboxMessage) -> datetime:
    assert row.sent_at is not None
    return row.sent_at


async def _managed(session: AsyncSession, notice_id: int) -> Notice:
    notice = await stored.get(session, notice_id)
    if notice is None or notice.status is NoticeStatus.DRAFT:
        raise DomainError(N_("This notice no longer exists."))
    return notice


# -- acknowledgements -----------------------------------------------------------------------


async def acknowledge(
    session: AsyncSession, notice_id: int, person: Person, now: datetime, zone: tzinfo
) -> tuple[Notice, bool]:
    """Records that the person read the notice (已阅); a unit's first one is participation
    (art. 16(2)). Returns the notice and whether this press was the first."""
    notice = await stored.get(session, notice_id)
    if notice is None or not notice.ack_required or notice.status is NoticeStatus.DRAFT:
        raise DomainError(NOT_FOR_YOU)
    if notice.status is NoticeStatus.CANCELLED and notice.sent_at is None:
        raise DomainError(GONE)
    row = await stored.recipient(session, notice.id, person.id)
    if row is None or not await _reaches(session, notice, person):
        raise DomainError(NOT_FOR_YOU)
    first = await stored.acknowledge(session, notice.id, person.id, now)
    if rules.counts_as_participation(row.unit_id, first):
        assert row.unit_id is not None
        await record_participation(
            session, row.unit_id, "acknowledgement", local_date(now, zone), f"notice:{notice.id}"
        )
    return notice, first


async def remind_unacknowledged(
    session: AsyncSession, catalogs: Catalogs, notice: Notice, key: str, now: datetime
) -> int:
    """Reminds those who have not acknowledged, and only them; returns how many."""
    waiting = await stored.unacknowledged(session, notice.id)
    chosen = set(rules.to_remind((r.id, r.acknowledged_at) for r, _ in waiting))
    reminded = 0
    for recipient, person in waiting:
        if recipient.id not in chosen:
            continue
        t = catalogs.for_person(person.locale, person.language_code)
        reply = replace(_reminder(notice, t), chat_id=person.chat_id)
        if await api.notify(session, reply, purpose="notice-remind", now=now,
                            dedup_key=f"{key}:{person.id}"):  # fmt: skip
            recipient.reminded += 1
            reminded += 1
    return reminded


def _reminder(notice: Notice, t: Translator) -> Reply:
    when = notice.ack_deadline
    text = (
        t(REMINDER).format(title=notice.title, when=t.datetime(when))
        if when
        else t(REMINDER_NO_DEADLINE).format(title=notice.title)
    )
    buttons = (
        (Button(t(ACK_LABEL), button_data(ACK, notice.id)),),
        (Button(notice.title[:40] or "…", button_data(OPEN, notice.id)),),
    )
    protect = AudienceKind(notice.audience) is not AudienceKind.EVERYONE
    return Reply(text, buttons, protect=protect)


# -- what a person sees ---------------------------------------------------------------------


async def notices_for(session: AsyncSession, person: Person, now: datetime) -> list[Notice]:
    """Recent notices meant for the person now (art. 16(5)): those sent to them, and those
    sent before they could receive them (they joined later) that are still current."""
    mine = await stored.addressed_to(session, person.id)
    standing = await _standing(session, person)
    found = []
    for notice in await stored.recent(session, now - RECENT, [NoticeStatus.SENDING], 100):
        if not rules.reaches(audience_of(notice), *standing):
            continue  # the reader's standing today decides, not the one they had then
        if notice.id in mine or (
            notice.sent_at is not None
            and rules.is_current(notice.sent_at, notice.ack_deadline, now)
        ):
            found.append(notice)
    return found[:20]


async def _standing(
    session: AsyncSession, person: Person
) -> tuple[frozenset[Role], list[rules.UnitFacts], UnitStatus | None]:
    """What `rules.reaches` asks of a reader, as it is now: roles, the units they are a
    contact of, and the status of the unit their seat is held for."""
    roles = await people.roles_of(session, person.id)
    units = [
        (u.id, u.status, u.tier, u.sub_sectors or [], u.region)
        for u in await stored.units_of_contact(session, person.id)
    ]
    seat = await stored_meetings.active_seat_of(session, person.id)
    seat_unit = await session.get(Unit, seat.unit_id) if seat else None
    return roles, units, seat_unit.status if seat_unit else None


async def _reaches(session: AsyncSession, notice: Notice, person: Person) -> bool:
    return rules.reaches(audience_of(notice), *await _standing(session, person))


async def open_notice(
    session: AsyncSession, notice_id: int, person: Person, t: Translator, now: datetime
) -> Reply:
    """The notice again, for someone it is meant for; a late joiner becomes a recipient here,
    so their acknowledgement counts like anyone's."""
    notice = await stored.get(session, notice_id)
    if notice is None or notice.status is not NoticeStatus.SENDING:
        raise DomainError(NOT_FOR_YOU)
    if not await _reaches(session, notice, person):  # art. 16(5): standing now, every read
        raise DomainError(NOT_FOR_YOU)
    if await stored.recipient(session, notice.id, person.id) is None:
        if notice.sent_at is None or not rules.is_current(
            notice.sent_at, notice.ack_deadline, now
        ):
            raise DomainError(NOT_FOR_YOU)
        reached = dict(
            (p.id, unit) for p, unit in await audience_people(session, audience_of(notice))
        )
        if person.id not in reached:
            raise DomainError(NOT_FOR_YOU)
        await stored.add_recipients(
            session, [_recipient(notice, person, reached[person.id], [], now)]
        )
    return render(notice, t)


async def managed_notices(session: AsyncSession, now: datetime) -> Sequence[Notice]:
    statuses = [NoticeStatus.SCHEDULED, NoticeStatus.SENDING, NoticeStatus.CANCELLED]
    return await stored.recent(session, now - RECENT, statuses)


# -- reports --------------------------------------------------------------------------------

STATUS_LABELS = {
    DeliveryStatus.PENDING: N_("waiting"),
    DeliveryStatus.SENDING: N_("being sent"),
    DeliveryStatus.SENT: N_("delivered"),
    DeliveryStatus.UNKNOWN: N_("delivered"),
    DeliveryStatus.FAILED: N_("failed"),
    DeliveryStatus.BLOCKED: N_("blocked the bot"),
    DeliveryStatus.CANCELLED: N_("cancelled"),
}
REPORT_COLUMNS = (
    N_("Unit"),
    N_("Recipient"),
    N_("Delivery"),
    N_("Reason"),
    N_("Acknowledged"),
)


def report_table(rows: Sequence[stored.ReportRow], t: Translator) -> list[list[str]]:
    """One line per recipient: unit, person (the roster's name, storage/names.py), delivery
    status with the failure's reason, when they acknowledged."""
    table = []
    for recipient, _, unit, row, name in rows:
        status = t(STATUS_LABELS[row.status]) if row else t(N_("opened in /notices"))
        reason = (row.last_error or "") if row and row.status is DeliveryStatus.FAILED else ""
        acked = t.datetime(recipient.acknowledged_at) if recipient.acknowledged_at else ""
        table.append([unit.name if unit else "", name, status, reason, acked])
    return table


@dataclass(frozen=True)
class UnitAcks:
    """Art. 16(2): per unit, whether someone acknowledged."""

    acknowledged: list[str]
    waiting: list[str]


def unit_acks(rows: Sequence[stored.ReportRow]) -> UnitAcks:
    by_unit: dict[str, bool] = {}
    for recipient, _, unit, _, _ in rows:
        if unit is not None:
            by_unit[unit.name] = by_unit.get(unit.name, False) or bool(recipient.acknowledged_at)
    done = sorted(name for name, acked in by_unit.items() if acked)
    return UnitAcks(done, sorted(name for name, acked in by_unit.items() if not acked))


# -- reminders: the scheduled send, and reminders to acknowledge ---------------------------


async def _fire_send(firing: Firing) -> Reply | None:
    """The scheduled time came: the notice goes out, and its sender is told."""
    session, now = firing.session, firing.now
    notice = await stored.get(session, int(firing.reminder.payload["notice"]))
    sender = await session.get(Person, firing.reminder.person_id)
    if notice is None or notice.status is not NoticeStatus.SCHEDULED or sender is None:
        return None
    assert firing.catalogs is not None, "the sweep passes its catalogs"
    catalogs = firing.catalogs
    count = await start_sending(session, catalogs, notice, sender, now)
    return Reply(firing.t(GOING_OUT).format(title=notice.title, count=count))


async def _fire_remind(firing: Firing) -> Reply | None:
    """A reminder time the sender chose: those who have not acknowledged are reminded."""
    session = firing.session
    notice = await stored.get(session, int(firing.reminder.payload["notice"]))
    if notice is None or notice.status is not NoticeStatus.SENDING:
        return None
    assert firing.catalogs is not None, "the sweep passes its catalogs"
    catalogs = firing.catalogs
    key = f"notice:{notice.id}:reminder:{firing.reminder.id}"
    count = await remind_unacknowledged(session, catalogs, notice, key, firing.now)
    if not count:
        return None
    return Reply(firing.t(REMINDED).format(count=count, title=notice.title))


def reminder_kinds() -> list[ReminderKind]:
    return [
        ReminderKind(SEND_KIND, SEND_LABEL, _fire_send),
        ReminderKind(REMIND_KIND, REMIND_LABEL, _fire_remind),
    ]
