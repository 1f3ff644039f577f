"""/newmeeting, /meetings and the joint directors' meeting in chat (art. 19, 20, 27, 38):
the agenda with 15 days' notice, leave, representatives, check-in and quorum, votes (open or
secret; in private chats or the leadership's group chat), results and minutes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from bot import minutes, validation
from bot.charter import meetings as rules
from bot.charter.membership import has_member_rights
from bot.clock import local_date
from bot.context import Context
from bot.errors import DomainError, NotAllowed, StaleButton, Toast
from bot.i18n import N_, Translator
from bot.labels import aside, listed
from bot.minutes import BALLOTS, CHOICES, KINDS
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import (
    ButtonAction,
    Command,
    DeepLink,
    Feature,
    Form,
    Id,
    Opt,
    button_data,
    one_of,
    token,
)
from bot.services import meetings, notify, seats
from bot.services.documents import fetch_button
from bot.services.meetings import Acting, Board, Closing
from storage import meetings as stored
from storage import units
from storage.meetings_models import (
    BallotKind,
    Choice,
    Meeting,
    MeetingStatus,
    Motion,
    MotionKind,
    MotionStatus,
)
from storage.models import Person, Role

SECRETARIAT = frozenset({Role.SECRETARIAT})
LEADERSHIP = frozenset({Role.LEADERSHIP})
VIEWERS = frozenset({Role.SECRETARIAT, Role.LEADERSHIP, Role.CONTACT})
MINUTES_READERS = frozenset({Role.SECRETARIAT, Role.LEADERSHIP})  # a leadership-level document
FORM, LEAVE_FORM = "newmeeting", "meeting_leave"
TEXT_LIMIT = 3000
STATUSES = {
    MeetingStatus.SCHEDULED: N_("scheduled"),
    MeetingStatus.IN_PROGRESS: N_("in progress"),
    MeetingStatus.ENDED: N_("ended"),
    MeetingStatus.CANCELLED: N_("cancelled"),
}
CHECK_IN_NOW = N_("The joint directors' meeting {id} has begun ({place}). Please check in.")
BALLOT_OPEN = N_("Motion {n} is open for voting: {title} ({kind}, {ballot}).")
SECRET_NOTE = N_(
    "Secret ballot: the record keeps that you voted, not how. You get a receipt to find your "
    "ballot in the tally published when the motion closes."
)
RESULT = N_("Motion {n}, {title}: {result}.")
LOST_SEAT = N_(
    "{name} of {unit} has lost the seat on the joint directors' meeting after three absences "
    "without leave in a row (art. 19)."
)
WAITING = N_("not yet put to the vote")
# A press repeating the vote already recorded: answered on the button, no second confirmation.
ALREADY_RECORDED = {
    Choice.FOR: N_("You have already voted “For”."),
    Choice.AGAINST: N_("You have already voted “Against”."),
    Choice.ABSTAIN: N_("You have already voted “Abstain”."),
}
CHECKED_IN = N_("Checked in for {unit}.")
ENDED = N_(
    "The joint directors' meeting {id} has ended; {present} of {total} director and "
    "deputy-director units were present. The minutes are in /meetings."
)
# Punctuation belongs to the language: "Unit — Holder: present" reads "单位（持席人）：出席".
LISTED_MEETING = N_("{meeting} — {status}")
SEAT_LINE = N_("• {unit} — {holder}: {state}")
REPRESENTED_BY = N_("{state}; represented by {name}")
MOTION_STATE = N_("{motion} — {state}")
RESULT_AND_COUNTS = N_("{result}: {counts}")
CHOICE_COUNT = N_("{choice} {count}")
Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Composed:
    """A message composed for each recipient in their language (dates, labels, lists) — the
    shape notify.to_people renders, like notify.Note."""

    compose: Callable[[Translator], str]
    buttons: tuple[tuple[str, str], ...] = ()

    def render(self, t: Translator) -> str:
        return self.compose(t)


def _tell(
    ctx: Context,
    people: Iterable[Person],
    compose: Callable[[Translator], str],
    buttons: Sequence[tuple[str, str]] = (),
) -> list[Reply]:
    """Messages to other people, protected: the leadership's business is not public (14(4))."""
    return _protected(notify.to_people(ctx.catalogs, people, Composed(compose, tuple(buttons))))


def _note(ctx: Context, people: Iterable[Person], what: notify.Note) -> list[Reply]:
    return _protected(notify.to_people(ctx.catalogs, people, what))


def _protected(replies: list[Reply]) -> list[Reply]:
    return [replace(r, protect=True) for r in replies]


def _zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.settings.timezone)


async def _in_linked_group(ctx: Context) -> bool:
    """Whether the press came from the linked group; a press in any other group is refused,
    so that no other chat is shown the leadership's check-ins or tallies (art. 14(4))."""
    if not ctx.incoming.sender.in_group:
        return False
    if await meetings.group_chat_id(ctx.session) != ctx.incoming.sender.chat_id:
        raise StaleButton()
    return True


# -- /newmeeting: the agenda (art. 20) -----------------------------------------------------------


async def new_meeting(ctx: Context) -> Reply:
    """Starts the form and asks for the date, with the earliest date art. 20 allows."""
    await ctx.start_form(FORM, "when", motions=[])
    today = local_date(ctx.clock.now(), _zone(ctx))
    text = ctx.t(
        "When is the joint meeting? Send the local date and time as YYYY-MM-DD HH:MM. The agenda "
        "must go out 15 days ahead (art. 20): the earliest date is {earliest}. /cancel stops."
    )
    return Reply(text.format(earliest=ctx.t.date(rules.earliest_meeting_date(today))))


async def answer_when(ctx: Context) -> Reply:
    """Checks the date against the 15 days' notice and asks where the meeting is held."""
    starts_at = _parse_when(ctx.incoming.text or "", _zone(ctx))
    meetings.check_date(starts_at, ctx.clock.now(), _zone(ctx))
    await ctx.next_step("place", starts_at=starts_at.isoformat())
    return Reply(ctx.t("Where is it held? Send the place, or the link of the video meeting."))


def _parse_when(text: str, zone: ZoneInfo) -> datetime:
    try:
        moment = " ".join(validation.typed(text).split())
        return datetime.strptime(moment, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError as error:
        raise DomainError(
            N_("Please send the date and time as YYYY-MM-DD HH:MM, for example 2027-01-15 09:30.")
        ) from error


async def answer_place(ctx: Context) -> Reply:
    """Keeps the place and asks for the first motion's title."""
    await ctx.next_step("title", place=validation.short_text(ctx.incoming.text, 500))
    return _ask_title(ctx)


def _ask_title(ctx: Context) -> Reply:
    number = len(ctx.answers["motions"]) + 1
    return Reply(ctx.t("Motion {n}: its title?").format(n=number))


async def answer_title(ctx: Context) -> Reply:
    """Keeps the motion's title and asks for its text."""
    await ctx.next_step("text", draft={"title": validation.short_text(ctx.incoming.text, 200)})
    return Reply(ctx.t("The motion's text (up to {limit} characters)?").format(limit=TEXT_LIMIT))


async def answer_text(ctx: Context) -> Reply:
    """Keeps the motion's text and asks its kind."""
    text = (ctx.incoming.text or "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise DomainError(N_("Please keep this under {limit} characters."), limit=TEXT_LIMIT)
    await ctx.next_step("kind", draft={**ctx.answers["draft"], "text": text})
    rows = tuple((Button(ctx.t(KINDS[k]), button_data("mnf", "kind", k.value)),) for k in KINDS)
    return Reply(ctx.t("What kind of motion is it?"), buttons=rows)


async def answer_documents(ctx: Context) -> Reply:
    """Keeps the numbers of the attached documents (leadership level) and asks for more."""
    words = validation.typed(ctx.incoming.text).replace(",", " ").split()
    try:  # ASCII digits only: str.isdigit() passes "²", which int() refuses
        numbers = sorted({Id(w) for w in words})
    except ValueError:
        numbers = []
    if not numbers:
        raise DomainError(N_("Send document numbers separated by spaces, like 12 15."))
    await meetings.check_documents(ctx.session, numbers)
    return await _finish_motion(ctx, numbers)


async def expect_button(ctx: Context) -> Reply:
    """Text where a button was expected."""
    return Reply(ctx.t("Please choose one of the buttons above, or /cancel."))


async def form_press(ctx: Context, action: str, value: str = "") -> Reply | list[Reply]:
    """The form's buttons: kind, ballot, no documents, another motion, finish, schedule."""
    if action == "kind":
        ctx.require_step(FORM, "kind")
        await ctx.next_step("ballot", draft={**ctx.answers["draft"], "kind": value})
        rows = tuple(
            (Button(ctx.t(BALLOTS[b]), button_data("mnf", "ballot", b.value)),) for b in BALLOTS
        )
        return Reply(ctx.t("Open or secret ballot?"), buttons=rows)
    if action == "ballot":
        ctx.require_step(FORM, "ballot")
        await ctx.next_step("docs", draft={**ctx.answers["draft"], "ballot": value})
        none = Button(ctx.t("No documents"), button_data("mnf", "nodocs"))
        text = ctx.t("Attach documents: send their numbers (from /docs), or press No documents.")
        return Reply(text, buttons=((none,),))
    return await _form_step(ctx, action)


async def _form_step(ctx: Context, action: str) -> Reply | list[Reply]:
    if action == "nodocs":
        ctx.require_step(FORM, "docs")
        return await _finish_motion(ctx, [])
    if action == "more":
        ctx.require_step(FORM, "more")
        await ctx.next_step("title")
        return _ask_title(ctx)
    if action == "done":
        ctx.require_step(FORM, "more")
        await ctx.next_step("confirm")
        return _summary(ctx)
    if action == "ok":
        ctx.require_step(FORM, "confirm")
        return await _schedule(ctx)
    raise StaleButton()


async def _finish_motion(ctx: Context, documents: list[int]) -> Reply:
    motions = [*ctx.answers["motions"], {**ctx.answers["draft"], "documents": documents}]
    await ctx.next_step("more", motions=motions, draft={})
    rows = (
        (Button(ctx.t("Add another motion"), button_data("mnf", "more")),),
        (Button(ctx.t("Finish the agenda"), button_data("mnf", "done")),),
    )
    return Reply(ctx.t("Motion {n} added.").format(n=len(motions)), buttons=rows)


def _drafts(answers: dict) -> list[meetings.MotionDraft]:
    return [
        meetings.MotionDraft(
            m["title"],
            m["text"],
            MotionKind(m["kind"]),
            BallotKind(m["ballot"]),
            tuple(m["documents"]),
        )
        for m in answers["motions"]
    ]


def _summary(ctx: Context) -> Reply:
    a, t = ctx.answers, ctx.t
    when = t.datetime(datetime.fromisoformat(a["starts_at"]))
    lines = [t("Please check the meeting:"), t("When: {when}").format(when=when)]
    lines.append(t("Where: {place}").format(place=a["place"]))
    lines += [_draft_line(t, n, d) for n, d in enumerate(_drafts(a), start=1)]
    lines.append(t("Schedule it to send the agenda to every seat holder and member unit now."))
    go = Button(t("Schedule and send the agenda"), button_data("mnf", "ok"))
    return Reply("\n".join(lines), buttons=((go,),))


def _draft_line(t: Translator, n: int, d: meetings.MotionDraft) -> str:
    line = minutes.motion_head(t, n, d.title, d.kind, d.ballot)
    return line + (" " + _documents(t, d.document_ids) if d.document_ids else "")


def _documents(t: Translator, ids: Iterable[int]) -> str:
    return t("Documents: {numbers}").format(numbers=listed(t, [f"#{i}" for i in ids]))


async def _schedule(ctx: Context) -> list[Reply]:
    """Schedules the meeting; the agenda goes to every seat holder and member contact now."""
    a = ctx.answers
    meeting = await meetings.schedule(
        ctx.session,
        datetime.fromisoformat(a["starts_at"]),
        a["place"],
        _drafts(a),
        ctx.person.id,
        ctx.clock.now(),
        _zone(ctx),
    )
    await ctx.end_form()
    motions = await stored.motions_of(ctx.session, meeting.id)
    holders = [p for _s, _u, p in await seats.voting_seats(ctx.session)]
    seated = {p.id for p in holders}
    contacts = [p for p in await notify.members(ctx.session) if p.id not in seated]
    done = ctx.t(
        "Meeting {id} scheduled. Seat holders told: {holders}; member contacts told: {contacts}."
    )
    open_it = [(N_("Open the meeting"), button_data("mc", meeting.id)), *_papers(motions)]
    return [
        Reply(done.format(id=meeting.id, holders=len(holders), contacts=len(contacts)), edit=True),
        *_tell(ctx, holders, partial(_agenda, meeting=meeting, motions=motions), open_it),
        *_tell(ctx, contacts, partial(_agenda, meeting=meeting, motions=motions, full=False)),
    ]


def _agenda(t: Translator, meeting: Meeting, motions: Sequence[Motion], full: bool = True) -> str:
    """The agenda (议题, art. 20): in full for the seat holders, titles for member units."""
    lines = [_heading(t, meeting), t("Agenda (art. 20):")]
    for m in motions:
        lines.append(minutes.motion_head(t, m.position, m.title, m.kind, m.ballot))
        if full:
            lines.append(m.text)
            lines += [_documents(t, m.document_ids)] if m.document_ids else []
    return "\n".join(lines)


def _papers(motions: Sequence[Motion]) -> list[tuple[str, str]]:
    """A fetch button per attached document, in agenda order; checked when pressed."""
    return [fetch_button(d, "agenda") for m in motions for d in m.document_ids]


def _heading(t: Translator, meeting: Meeting) -> str:
    return t("Joint directors' meeting {id}: {when}, {place}").format(
        id=meeting.id, when=t.datetime(meeting.starts_at), place=meeting.place
    )


# -- /meetings and the meeting's card ------------------------------------------------------------


async def list_meetings(ctx: Context) -> Reply:
    """Lists the current meetings and the latest ended ones, each with a button to open it."""
    if (
        Role.SECRETARIAT not in ctx.roles
        and not await meetings.seat_in_standing(ctx.session, ctx.person, ctx.roles)
        and not await _member_contact(ctx)
    ):
        raise DomainError(meetings.NO_SEAT)
    found = await stored.current_meetings(ctx.session)
    if not found:
        text = ctx.t("No joint directors' meeting is scheduled.")
        if Role.SECRETARIAT in ctx.roles:
            text += "\n" + ctx.t("Schedule one with /newmeeting.")
        return Reply(text)
    lines = [ctx.t("Joint directors' meetings:")]
    lines += [
        ctx.t(LISTED_MEETING).format(meeting=_heading(ctx.t, m), status=ctx.t(STATUSES[m.status]))
        for m in found
    ]
    rows = tuple(
        (Button(ctx.t("Open meeting {id}").format(id=m.id), button_data("mc", m.id)),)
        for m in found
    )
    return Reply("\n".join(lines), buttons=rows)


async def open_card(ctx: Context, meeting_id: int, refresh: str | None = None) -> Reply:
    """Shows the meeting as this person may see it: to manage, to act for a seat, or its agenda."""
    board = await meetings.board(ctx.session, meeting_id)
    return await _card(ctx, board, edit=refresh == "r")


async def _card(ctx: Context, board: Board, edit: bool = False) -> Reply:
    if Role.SECRETARIAT in ctx.roles:
        return await _admin_card(ctx, board, edit)
    acting = board.acting_for(ctx.person.id) or next(
        (a for a in board.seats if a.holder.id == ctx.person.id), None
    )
    if acting is not None:
        return await _seat_card(ctx, board, acting, edit)
    if await _member_contact(ctx) and board.meeting.status is not MeetingStatus.CANCELLED:
        return Reply(_agenda(ctx.t, board.meeting, board.motions, full=False), protect=True)
    raise DomainError(meetings.NO_SEAT)


async def _member_contact(ctx: Context) -> bool:
    """Art. 15(3), 16(5): a contact sees the agenda while their unit has member rights, as
    only such units are sent it."""
    if Role.CONTACT not in ctx.roles:
        return False
    found = await units.of_person(ctx.session, ctx.person.id)
    return found is not None and has_member_rights(found[0].status)


async def _admin_card(ctx: Context, board: Board, edit: bool = False) -> Reply:
    t, meeting = ctx.t, board.meeting
    lines = [
        _heading(t, meeting),
        t("Status: {status}").format(status=t(STATUSES[meeting.status])),
    ]
    if meeting.status in (MeetingStatus.IN_PROGRESS, MeetingStatus.ENDED):
        lines.append(_quorum_line(t, board))
    lines += [_seat_line(t, a) for a in board.seats]
    lines.append(t("Agenda (art. 20):"))
    lines += [await _motion_line(ctx, m) for m in board.motions]
    return Reply("\n".join(lines), buttons=_admin_buttons(t, board), edit=edit, protect=True)


def _quorum_line(t: Translator, board: Board) -> str:
    q = board.quorum
    line = t("Units present: {present} of {total}; members present: {members}.").format(
        present=q.present_units, total=q.all_units, members=q.present
    )
    stands = t("The quorum stands (two-thirds or more, art. 20).")
    lacking = t("No quorum (two-thirds or more needed, art. 20).")
    return f"{line} {stands if q.stands else lacking}"


def _seat_line(t: Translator, a: Acting) -> str:
    if a.present:
        state = t("present")
    elif a.on_leave:
        state = t("on leave: {reason}").format(reason=a.attendance.leave_reason)
    else:
        state = t("not checked in")
    if a.representative is not None and a.attendance is not None:
        name = a.attendance.representative_name
        state = t(REPRESENTED_BY).format(state=state, name=name)
    return t(SEAT_LINE).format(unit=a.unit.name, holder=a.seat.name, state=state)


async def _motion_line(ctx: Context, m: Motion) -> str:
    t, head = ctx.t, minutes.motion_head(ctx.t, m.position, m.title, m.kind, m.ballot)
    if m.status is MotionStatus.PENDING:
        state = t(WAITING)
    elif m.status is MotionStatus.OPEN:
        state = _live(t, *await meetings.live_tally(ctx.session, m))
    else:
        result, counts = t(minutes.result_label(_line(m))), minutes.counts_text(t, _line(m))
        state = t(RESULT_AND_COUNTS).format(result=result, counts=counts)
    return t(MOTION_STATE).format(motion=head, state=state)


def _line(m: Motion) -> minutes.MotionLine:
    return minutes.MotionLine(
        m.position,
        m.title,
        m.kind,
        m.ballot,
        m.status,
        m.votes_for,
        m.votes_against,
        m.abstentions,
        m.present,
        m.passed,
        receipts_digest=m.receipts_digest,
    )


def _live(t: Translator, counts: dict[Choice, int], voted: int) -> str:
    text = t("open for voting; votes cast: {voted}").format(voted=voted)
    if not counts:
        return text
    each = [t(CHOICE_COUNT).format(choice=t(CHOICES[c]), count=counts.get(c, 0)) for c in Choice]
    return aside(t, text, listed(t, each))


def _admin_buttons(t: Translator, board: Board) -> Rows:
    meeting = board.meeting
    rows = ADMIN_BUTTONS.get(meeting.status, lambda _t, _b: [])(t, board)
    if meeting.status is not MeetingStatus.CANCELLED:
        rows.append(_button(t, N_("Refresh"), "mc", meeting.id, "r"))
    return tuple(rows)


def _scheduled_buttons(t: Translator, board: Board) -> list[tuple[Button, ...]]:
    return [
        _button(t, N_("Open check-in"), "ms", "start", board.meeting.id),
        _button(t, N_("Cancel the meeting"), "ms", "cancel", board.meeting.id),
    ]


def _running_buttons(t: Translator, board: Board) -> list[tuple[Button, ...]]:
    rows = [_button(t, N_("Check someone in…"), "ms", "cis", board.meeting.id)]
    for m in board.motions:
        if m.status is MotionStatus.PENDING:
            rows.append(
                _button(t, N_("Put motion {n} to the vote"), "ms", "open", m.id, n=m.position)
            )
        if m.status is MotionStatus.OPEN:
            rows.append(
                _button(t, N_("Close the vote on motion {n}"), "ms", "close", m.id, n=m.position)
            )
    return [*rows, _button(t, N_("End the meeting"), "ms", "end", board.meeting.id)]


def _ended_buttons(t: Translator, board: Board) -> list[tuple[Button, ...]]:
    rows = [_button(t, N_("Minutes (DOCX)"), "mmin", board.meeting.id)]
    if board.meeting.minutes_approved_at is None:
        rows.append(
            _button(t, N_("The meeting approved the minutes"), "ms", "appr", board.meeting.id)
        )
    return rows


ADMIN_BUTTONS = {
    MeetingStatus.SCHEDULED: _scheduled_buttons,
    MeetingStatus.IN_PROGRESS: _running_buttons,
    MeetingStatus.ENDED: _ended_buttons,
}


def _button(t: Translator, label: str, *data: object, **params: object) -> tuple[Button, ...]:
    return (Button(t(label).format(**params), button_data(*data)),)


async def _seat_card(ctx: Context, board: Board, acting: Acting, edit: bool = False) -> Reply:
    t, meeting = ctx.t, board.meeting
    lines = [_agenda(t, meeting, board.motions, full=True)]
    lines.append(t("Status: {status}").format(status=t(STATUSES[meeting.status])))
    lines.append(_seat_line(t, acting))
    if meeting.status is not MeetingStatus.SCHEDULED:
        lines.append(_quorum_line(t, board))
    rows = _seat_buttons(ctx, board, acting)
    return Reply("\n".join(lines), buttons=rows, edit=edit, protect=True)


def _seat_buttons(ctx: Context, board: Board, acting: Acting) -> Rows:
    t, meeting, rows = ctx.t, board.meeting, []
    is_holder = acting.holder.id == ctx.person.id
    if meeting.status is MeetingStatus.SCHEDULED and is_holder:
        if not acting.on_leave:
            rows.append(_button(t, N_("Ask for leave"), "mlv", meeting.id))
        if acting.representative is None:
            rows.append(_button(t, N_("Name a representative"), "mrp", "new", meeting.id))
        else:
            rows.append(_button(t, N_("Withdraw the representative"), "mrp", "drop", meeting.id))
    if meeting.status is MeetingStatus.IN_PROGRESS and acting.person.id == ctx.person.id:
        if not acting.present:
            rows.append(_button(t, N_("Check in"), "mci", meeting.id))
        rows += [_vote_row(t, m) for m in board.motions if m.status is MotionStatus.OPEN]
    if meeting.status is MeetingStatus.ENDED:
        rows.append(_button(t, N_("Minutes (DOCX)"), "mmin", meeting.id))
    rows += [(Button(t(label), data),) for label, data in _papers(board.motions)]
    return tuple(rows)


def _vote_row(t: Translator, motion: Motion) -> tuple[Button, ...]:
    return tuple(
        Button(t(label), button_data("mv", motion.id, choice.value))
        for choice, label in CHOICES.items()
    )


# -- the secretariat runs the meeting ------------------------------------------------------------


async def manage(ctx: Context, action: str, *ids: int) -> Reply | list[Reply]:
    """The secretariat's buttons on a meeting's card; every id is re-loaded and re-checked."""
    return await ACTIONS[action][0](ctx, *ids)


async def _start(ctx: Context, meeting_id: int) -> list[Reply]:
    """Opens check-in; each seat (or its representative) gets a check-in button."""
    board, ended = await meetings.start(ctx.session, meeting_id, ctx.person.id, ctx.clock.now())
    meeting = board.meeting
    check_in = [(N_("Check in"), button_data("mci", meeting.id))]
    begun = notify.note(CHECK_IN_NOW, check_in, id=meeting.id, place=meeting.place)
    ctx.menus_to_refresh.update(person.id for _seat, person in ended)
    return [
        await _admin_card(ctx, board, edit=True),
        *_note(ctx, [a.person for a in board.seats], begun),
        *await _to_group(ctx, begun.render, check_in),
    ]


async def _cancel(ctx: Context, meeting_id: int) -> list[Reply]:
    """Calls the meeting off and tells the seat holders and member contacts."""
    meeting = await meetings.cancel(ctx.session, meeting_id, ctx.person.id, ctx.clock.now())
    people = [p for _s, _u, p in await seats.voting_seats(ctx.session)]
    people += await notify.members(ctx.session)
    text = partial(_cancelled, meeting=meeting)
    return [Reply(text(ctx.t), edit=True), *_tell(ctx, people, text)]


def _cancelled(t: Translator, meeting: Meeting) -> str:
    return t("Cancelled: {meeting}.").format(meeting=_heading(t, meeting))


async def _check_in_list(ctx: Context, meeting_id: int, edit: bool = False) -> Reply:
    """Lists the seats not yet checked in, as buttons, under the quorum as it stands."""
    board = await meetings.board(ctx.session, meeting_id)
    rows = tuple(
        (
            Button(
                f"{a.unit.name} — {a.seat.name}"[:64],
                button_data("ms", "ci", meeting_id, a.seat.id),
            ),
        )
        for a in board.seats
        if not a.present
    )
    ask = ctx.t("Whom to check in?") if rows else ctx.t("Everyone is checked in.")
    return Reply(f"{_quorum_line(ctx.t, board)}\n{ask}", buttons=rows, edit=edit)


async def _check_in_seat(ctx: Context, meeting_id: int, seat_id: int) -> Reply:
    """Checks the seat in on its holder's behalf; the list updates in place."""
    await meetings.check_in_seat(
        ctx.session, meeting_id, seat_id, ctx.person.id, ctx.clock.now(), _zone(ctx)
    )
    return await _check_in_list(ctx, meeting_id, edit=True)


async def _open(ctx: Context, motion_id: int) -> list[Reply]:
    """Puts the motion to the vote (the quorum must stand) and hands out the ballots."""
    motion, board = await meetings.open_motion(
        ctx.session, motion_id, ctx.person.id, ctx.clock.now()
    )
    return [await _admin_card(ctx, board, edit=True), *await _ballots(ctx, motion, board)]


async def _ballots(ctx: Context, motion: Motion, board: Board) -> list[Reply]:
    """An open ballot goes to the linked group chat if there is one; otherwise, and always
    for a secret ballot, to each member present in their private chat."""
    group = await meetings.group_chat_id(ctx.session)
    if group is not None and motion.ballot is BallotKind.OPEN:
        return await _to_group(ctx, partial(_ballot_text, motion=motion), _vote_data(motion))
    present = [a.person for a in board.seats if a.present]
    return _tell(ctx, present, partial(_ballot_text, motion=motion), _vote_data(motion))


def _vote_data(motion: Motion) -> list[tuple[str, str]]:
    return [(label, button_data("mv", motion.id, c.value)) for c, label in CHOICES.items()]


def _ballot_text(t: Translator, motion: Motion) -> str:
    lines = [
        t(BALLOT_OPEN).format(
            n=motion.position,
            title=motion.title,
            kind=t(KINDS[motion.kind]),
            ballot=t(BALLOTS[motion.ballot]),
        ),
        motion.text,
    ]
    if motion.ballot is BallotKind.SECRET:
        lines.append(t(SECRET_NOTE))
    return "\n".join(lines)


async def _close(ctx: Context, motion_id: int) -> list[Reply]:
    """Counts and decides (art. 20); the result goes to the seat holders and the group."""
    closing = await meetings.close_motion(ctx.session, motion_id, ctx.person.id, ctx.clock.now())
    text = partial(_result_text, closing=closing)
    audience = [a.holder for a in closing.board.seats] + [a.person for a in closing.board.seats]
    return [
        await _admin_card(ctx, closing.board, edit=True),
        *_tell(ctx, audience, text),
        *await _to_group(ctx, text),
    ]


def _result_text(t: Translator, closing: Closing) -> str:
    m, q = closing.motion, closing.board.quorum
    line = _line(m)
    lines = [
        t(RESULT).format(n=m.position, title=m.title, result=t(minutes.result_label(line))),
        minutes.counts_text(t, line),
        t("Passing needs half or more of the members present (art. 20)."),
        t("Units present: {present} of {total}.").format(
            present=q.present_units, total=q.all_units
        ),
    ]
    if closing.receipts:
        lines.append(t("Receipts of the secret ballots:"))
        lines += [f"{receipt} {t(CHOICES[choice])}" for receipt, choice in closing.receipts]
        lines.append(t("Fingerprint of this list: {digest}").format(digest=m.receipts_digest))
    return "\n".join(lines)


async def _end(ctx: Context, meeting_id: int) -> list[Reply]:
    """Records attendance, applies the absences rule (art. 19) and keeps the minutes."""
    ending = await meetings.end(ctx.session, meeting_id, ctx.person.id, ctx.clock.now())
    q, meeting = ending.board.quorum, ending.board.meeting
    ended = notify.note(ENDED, id=meeting.id, present=q.present_units, total=q.all_units)
    holders = [p for _s, _u, p in await seats.voting_seats(ctx.session)]
    replies = [await _admin_card(ctx, ending.board, edit=True), *_note(ctx, holders, ended)]
    for seat, person in ending.lost:
        replies += await _tell_lost(ctx, seat.unit_id, seat.name, person)
    return replies


async def _tell_lost(ctx: Context, unit_id: int, name: str, person: Person) -> list[Reply]:
    """Art. 19: the seat is lost; the person, the unit and the secretariat are told."""
    ctx.menus_to_refresh.add(person.id)
    unit = await units.get(ctx.session, unit_id)
    people = [person, *await notify.unit_contacts(ctx.session, unit_id)]
    people += await notify.secretariat(ctx.session)
    return _note(ctx, people, notify.note(LOST_SEAT, name=name, unit=unit.name if unit else ""))


async def _approve(ctx: Context, meeting_id: int) -> list[Reply]:
    """The meeting approved its minutes: the results go out to the member units."""
    board = await meetings.approve_minutes(ctx.session, meeting_id, ctx.person.id, ctx.clock.now())
    members = await notify.members(ctx.session)
    return [
        await _admin_card(ctx, board, edit=True),
        *_tell(ctx, members, partial(_results_for_members, board=board)),
    ]


def _results_for_members(t: Translator, board: Board) -> str:
    lines = [_heading(t, board.meeting), t("Results, as recorded in the approved minutes:")]
    for m in board.motions:
        line = _line(m)
        result = t(minutes.result_label(line))
        if m.status is MotionStatus.CLOSED:
            text = t("{n}. {title}: {result}. {counts}")
            counts = minutes.counts_text(t, line)
        else:
            text, counts = t("{n}. {title}: {result}."), ""
        lines.append(text.format(n=m.position, title=m.title, result=result, counts=counts))
    return "\n".join(lines)


ACTIONS: dict[str, tuple[Callable[..., Awaitable[Reply | list[Reply]]], int]] = {
    "start": (_start, 1),
    "cancel": (_cancel, 1),
    "cis": (_check_in_list, 1),
    "ci": (_check_in_seat, 2),
    "open": (_open, 1),
    "close": (_close, 1),
    "end": (_end, 1),
    "appr": (_approve, 1),
}  # action code -> handler and the number of ids it takes
MANAGE_ARGS = {code: (Id,) * arity for code, (_, arity) in ACTIONS.items()}
FORM_ARGS = dict.fromkeys(("nodocs", "more", "done", "ok"), ()) | {
    "kind": (one_of(*MotionKind),),
    "ballot": (one_of(*BallotKind),),
}


# -- seat holders and representatives ------------------------------------------------------------


async def check_in(ctx: Context, meeting_id: int) -> list[Reply]:
    """Checks the presser in for the seat they act for; shows the quorum and any open ballot."""
    in_group = await _in_linked_group(ctx)
    acting, _new = await meetings.check_in(
        ctx.session, meeting_id, ctx.person, ctx.clock.now(), _zone(ctx)
    )
    board = await meetings.board(ctx.session, meeting_id)
    if in_group:
        done = notify.note(CHECKED_IN, unit=acting.unit.name)
        return [await _group_check_in(ctx, board), *_note(ctx, [ctx.person], done)]
    done = ctx.t(CHECKED_IN).format(unit=acting.unit.name)
    replies = [Reply(f"{done}\n{_quorum_line(ctx.t, board)}", edit=True)]
    group = await meetings.group_chat_id(ctx.session)
    for motion in board.motions:
        if motion.status is MotionStatus.OPEN and (
            group is None or motion.ballot is BallotKind.SECRET
        ):
            replies.append(
                Reply(
                    _ballot_text(ctx.t, motion), buttons=(_vote_row(ctx.t, motion),), protect=True
                )
            )
    return replies


async def _group_check_in(ctx: Context, board: Board) -> Reply:
    t = _group_t(ctx)
    meeting = board.meeting
    text = (
        f"{t(CHECK_IN_NOW).format(id=meeting.id, place=meeting.place)}\n{_quorum_line(t, board)}"
    )
    return Reply(
        text, buttons=_button(t, N_("Check in"), "mci", meeting.id), edit=True, protect=True
    )


async def vote(ctx: Context, motion_id: int, choice: Choice) -> Reply | list[Reply]:
    """Records the presser's vote for their seat; in the group the tally updates in place.
    A press repeating the vote changes nothing, so it gets a short answer on the button only."""
    in_group = await _in_linked_group(ctx)
    cast = await meetings.cast_vote(
        ctx.session,
        motion_id,
        ctx.person,
        choice,
        ctx.clock.now(),
        _zone(ctx),
        in_group,
    )
    if cast.unchanged:
        raise Toast(ALREADY_RECORDED[cast.choice])
    if in_group:
        confirm = partial(_vote_text, cast=cast)
        return [await _group_tally(ctx, cast.motion), *_tell(ctx, [ctx.person], confirm)]
    changeable = cast.motion.ballot is BallotKind.OPEN and rules.VOTES_CHANGEABLE
    rows = (_vote_row(ctx.t, cast.motion),) if changeable else ()
    return Reply(_vote_text(ctx.t, cast), buttons=rows, edit=True, protect=True)


def _vote_text(t: Translator, cast: meetings.Cast) -> str:
    m = cast.motion
    lines = [
        t("Motion {n}, {title}: your vote is “{choice}” for {unit}.").format(
            n=m.position, title=m.title, choice=t(CHOICES[cast.choice]), unit=cast.acting.unit.name
        )
    ]
    if cast.receipt:
        lines.append(t("Your receipt: {receipt}").format(receipt=cast.receipt))
        lines.append(t("Your secret nonce: {nonce}").format(nonce=cast.nonce))
        lines.append(
            t(
                "Keep both. The receipt is the SHA-256 of “dtpc-ballot:{motion}:{choice}:NONCE”; "
                "when the vote closes, find it in the published list beside your choice."
            ).format(motion=m.id, choice=cast.choice.value)
        )
    elif m.ballot is BallotKind.OPEN and rules.VOTES_CHANGEABLE:
        lines.append(t("You may change it until the vote closes."))
    return "\n".join(lines)


async def _group_tally(ctx: Context, motion: Motion) -> Reply:
    t = _group_t(ctx)
    counts, voted = await meetings.live_tally(ctx.session, motion)
    text = f"{_ballot_text(t, motion)}\n{_live(t, counts, voted)}"
    return Reply(text, buttons=(_vote_row(t, motion),), edit=True, protect=True)


async def ask_leave(ctx: Context, meeting_id: int) -> Reply:
    """Checks that leave can still be asked, then asks for the reason."""
    await meetings.seat_before_start(ctx.session, meeting_id, ctx.person, ctx.clock.now())
    await ctx.start_form(LEAVE_FORM, "reason", meeting=meeting_id)
    return Reply(ctx.t("Send the reason for your absence; the secretariat will read it."))


async def answer_leave(ctx: Context) -> list[Reply]:
    """Records the leave (the absence is excused, art. 19) and tells the secretariat."""
    reason = validation.short_text(ctx.incoming.text, 500)
    meeting_id = ctx.answers["meeting"]
    acting = await meetings.request_leave(
        ctx.session, meeting_id, ctx.person, reason, ctx.clock.now()
    )
    await ctx.end_form()
    staff = await notify.secretariat(ctx.session)
    tell = notify.note(
        N_("Leave for meeting {id}: {name} ({unit}). Reason: {reason}"),
        id=meeting_id,
        name=acting.seat.name,
        unit=acting.unit.name,
        reason=reason,
    )
    done = ctx.t("Leave recorded: your absence from meeting {id} is excused (art. 19).")
    return [Reply(done.format(id=meeting_id)), *_note(ctx, staff, tell)]


async def representative(ctx: Context, action: str, meeting_id: int) -> list[Reply]:
    """Gives the seat holder a one-time link for their representative, or withdraws them."""
    now = ctx.clock.now()
    if action == "new":
        _acting, token = await meetings.invite_representative(
            ctx.session, meeting_id, ctx.person, now
        )
        link = meetings.representative_link(ctx.settings.bot_username, token)
        text = ctx.t(
            "Send this one-time link to the person who will represent you at meeting {id}; "
            "it works until the meeting begins: {link}"
        )
        return [Reply(text.format(id=meeting_id, link=link), durable=True)]
    acting, former = await meetings.withdraw_representative(
        ctx.session, meeting_id, ctx.person, now
    )
    gone = notify.note(
        N_("You no longer represent {unit} at meeting {id}."), unit=acting.unit.name, id=meeting_id
    )
    done = Reply(
        ctx.t("Your representative is withdrawn: you attend and vote for your seat yourself."),
        edit=True,
    )
    return [done, *_note(ctx, [former] if former else [], gone)]


async def accept_representation(ctx: Context, link_token: str) -> list[Reply]:
    """Binds the person who opened the link as the representative; the holder is told."""
    meeting, acting = await meetings.accept_representative(
        ctx.session, link_token, ctx.person, ctx.clock.now()
    )
    assert acting.attendance is not None
    name = acting.attendance.representative_name  # the roster's name, if they are on it
    told = notify.note(N_("{name} will represent you at meeting {id}."), name=name, id=meeting.id)
    text = ctx.t(
        "You will represent {holder} of {unit} at the joint directors' meeting {id}. When "
        "check-in opens you will get a button here; you check in and vote in their place."
    ).format(holder=acting.seat.name, unit=acting.unit.name, id=meeting.id)
    return [Reply(text, protect=True), *_note(ctx, [acting.holder], told)]


async def send_minutes(ctx: Context, meeting_id: int) -> Reply:
    """Sends the minutes as a DOCX document, to the leadership and the secretariat only."""
    if not ctx.roles & MINUTES_READERS:
        raise NotAllowed(meetings.NO_SEAT)
    record = await meetings.minutes_record(ctx.session, meeting_id)
    if record.ended_at is None:
        raise DomainError(N_("The minutes exist once the meeting has ended."))
    name = f"minutes-meeting-{meeting_id}.docx"
    file = OutgoingFile(name=name, content=minutes.to_docx(record, ctx.t))
    caption = ctx.t("Minutes of meeting {id} (confidential, art. 14(4)).").format(id=meeting_id)
    return Reply(caption, file=file, protect=True, durable=True)


# -- the leadership's group chat -----------------------------------------------------------------


async def link_group(ctx: Context) -> Reply:
    """Sent in a group: makes it the leadership's voting chat (open ballots are posted there)."""
    if not ctx.incoming.sender.in_group:
        return Reply(
            ctx.t("Add the bot to the leadership's group chat and send /linkgroup there.")
        )
    chat_id = ctx.incoming.sender.chat_id
    await meetings.link_group(ctx.session, chat_id, ctx.person.id, ctx.clock.now())
    return Reply(
        ctx.t(
            "This chat is now the leadership's voting chat. Open ballots are posted here and "
            "only seat holders present may vote; secret ballots always go to private chats."
        )
    )


async def unlink_group(ctx: Context) -> Reply:
    """Unlinks the leadership's group chat; ballots go to private chats again."""
    if await meetings.unlink_group(ctx.session, ctx.person.id, ctx.clock.now()):
        return Reply(ctx.t("Unlinked: ballots go to private chats."))
    return Reply(ctx.t("No group chat is linked."))


async def _to_group(
    ctx: Context, compose: Callable[[Translator], str], buttons: Sequence[tuple[str, str]] = ()
) -> list[Reply]:
    """A post in the linked group chat, in the center's default language."""
    group = await meetings.group_chat_id(ctx.session)
    if group is None:
        return []
    t = _group_t(ctx)
    rows = tuple((Button(t(label), data=data),) for label, data in buttons)
    if len(rows) > 1:
        rows = (tuple(b for row in rows for b in row),)
    return [Reply(compose(t), buttons=rows, chat_id=group, protect=True)]


def _group_t(ctx: Context) -> Translator:
    return ctx.catalogs.translator(ctx.settings.default_locale)


def setup() -> Feature:
    return Feature(
        commands=[
            Command("meetings", list_meetings, N_("Joint directors' meetings"), roles=VIEWERS),
            Command("newmeeting", new_meeting, N_("Schedule a joint meeting"), roles=SECRETARIAT),
            Command(
                "linkgroup",
                link_group,
                N_("Link the leadership's group chat"),
                roles=SECRETARIAT,
                in_group=True,  # sent in the group it links
            ),
            Command(
                "unlinkgroup",
                unlink_group,
                N_("Unlink the leadership's group chat"),
                roles=SECRETARIAT,
            ),
        ],
        buttons=[
            ButtonAction("mnf", form_press, roles=SECRETARIAT, args=FORM_ARGS),
            ButtonAction("ms", manage, roles=SECRETARIAT, args=MANAGE_ARGS),
            ButtonAction("mc", open_card, args=(Id, Opt(one_of("r")))),  # "r": refresh in place
            # Posted in the linked group; the presser's own confirmation goes to them alone.
            ButtonAction("mci", check_in, in_group=True, args=(Id,)),
            ButtonAction("mv", vote, in_group=True, args=(Id, Choice)),
            ButtonAction("mlv", ask_leave, roles=LEADERSHIP, args=(Id,)),
            ButtonAction(
                "mrp", representative, roles=LEADERSHIP, args=dict.fromkeys(("new", "drop"), (Id,))
            ),
            ButtonAction("mmin", send_minutes, args=(Id,)),
        ],
        forms=[
            Form(
                FORM,
                {
                    "when": answer_when,
                    "place": answer_place,
                    "title": answer_title,
                    "text": answer_text,
                    "kind": expect_button,
                    "ballot": expect_button,
                    "docs": answer_documents,
                    "more": expect_button,
                    "confirm": expect_button,
                },
                roles=SECRETARIAT,
            ),
            Form(LEAVE_FORM, {"reason": answer_leave}, roles=LEADERSHIP),
        ],
        deep_links=[
            DeepLink(
                meetings.REPRESENTATIVE_PREFIX,
                accept_representation,
                args=(token("[0-9a-f]{32}", "0" * 32),),
            )
        ],
    )
