"""/events (everyone): upcoming events, signup, the waitlist, check-in; /newevent (secretariat):
create, edit, cancel, lists and exports, attendance and closing (art. 7, 13(2), 16(2))."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.charter import events as rules
from bot.charter.events import EventFields
from bot.context import Context
from bot.errors import DomainError, StaleButton
from bot.i18n import N_, Translator
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import (
    ButtonAction,
    Command,
    Feature,
    Form,
    Id,
    Index,
    Opt,
    between,
    button_data,
    one_of,
)
from bot.services import events, roster
from bot.services.events import Span, View, when
from bot.validation import typed
from storage.events_models import Event, EventStatus, SignupStatus
from storage.models import Role

SECRETARIAT = frozenset({Role.SECRETARIAT})
NEW, EDIT, CHECKIN = "newevent", "eventedit", "event_checkin"
STEPS = ("title", "description", "when", "place", "capacity", "window", "guests", "per_unit")
DAY = r"(\d{4}-\d{1,2}-\d{1,2})"
TIME = r"(\d{1,2}:\d{2})"
SPAN = re.compile(rf"^{DAY}\s+{TIME}\s*[-–—~至到]\s*(?:{DAY}\s+)?{TIME}$")
MOMENT = re.compile(rf"^{DAY}\s+{TIME}$")
NONE_WORDS = {"-", "—", "无", "none", "no"}
PAGE = 20  # attendance buttons per message
ENDED = {
    EventStatus.CANCELLED: N_("This event has been cancelled."),
    EventStatus.CLOSED: N_("This event is over and closed."),
}
STAFF_BUTTONS = (
    (N_("Signups"), "list"),
    (N_("Attendance"), "att"),
    (N_("Check-in code"), "code"),
    (N_("Edit…"), "edit"),
    (N_("Close the event…"), "close"),
    (N_("Cancel the event…"), "cancel"),
)
Rows = tuple[tuple[Button, ...], ...]

QUESTIONS = {
    "title": N_("What is the event called?"),
    "description": N_("Describe it in a few lines, or press No description."),
    "when": N_(
        "When is it? Send the date and time in the center's time zone ({zone}), like "
        "2026-12-01 09:00 - 11:30, or 2026-12-01 09:00 - 2026-12-02 17:00."
    ),
    "place": N_("Where is it? An address, or the link of an online meeting."),
    "capacity": N_("How many places are there? Send a number, or press No limit."),
    "window": N_(
        "Until when may only member units sign up (art. 13(2))? Send a date and time like "
        "2026-11-28 18:00, or press No members-first window."
    ),
    "guests": N_("May people of no member unit (guests) sign up too?"),
    "per_unit": N_("How many people may one unit send? Send a number, or press one."),
}
# The guests' question when there is a members-first window: guests would come after it.
GUESTS_AFTER_WINDOW = N_(
    "After the members-first window, may people of no member unit (guests) sign up too?"
)
FIELD_NAMES = {
    "title": N_("Title"),
    "description": N_("Description"),
    "when": N_("Time"),
    "place": N_("Place or link"),
    "capacity": N_("Places"),
    "window": N_("Members-first window"),
    "per_unit": N_("People per unit"),
}


# -- /events ---------------------------------------------------------------------------------


async def list_events(ctx: Context) -> Reply:
    """Lists upcoming events with their free places; a button opens each."""
    found = await events.upcoming(ctx.session, ctx.clock.now())
    if not found:
        return Reply(ctx.t("No upcoming events."))
    lines = [ctx.t("Upcoming events:")]
    lines += [
        f"• {e.title} — {when(ctx.t, Span(e.starts_at))} — {_places(ctx.t, e, n)}"
        for e, n in found
    ]
    rows = tuple((Button(e.title[:60], button_data("ev", "card", e.id)),) for e, _ in found)
    return Reply("\n".join(lines), buttons=rows)


async def press(ctx: Context, action: str, event_id: int) -> Reply | list[Reply]:
    """An event's buttons for everyone: open, sign up, cancel, calendar file, check in."""
    return await PERSON_ACTIONS[action](ctx, event_id)


async def show_card(ctx: Context, event_id: int) -> Reply:
    """Shows the event, the person's place in it, and what they (or the secretariat) can do."""
    seen = await events.view(ctx.session, event_id, ctx.person.id)
    lines = [*_detail_lines(ctx, events.fields_of(seen.event)), _places_line(ctx.t, seen)]
    if seen.event.status is not EventStatus.OPEN:
        lines.append(ctx.t(ENDED[seen.event.status]))
        return Reply("\n".join(lines), buttons=_staff_buttons(ctx, seen.event))
    lines += _status_lines(ctx.t, seen)
    buttons = _person_buttons(ctx, seen) + _staff_buttons(ctx, seen.event)
    return Reply("\n".join(lines), buttons=buttons)


async def sign_up(ctx: Context, event_id: int) -> Reply:
    """Signs the person up (or puts them on the waitlist); a place comes with a calendar file."""
    now = ctx.clock.now()
    signed = await events.sign_up(ctx.session, event_id, ctx.person.id, now)
    event, signup = signed.event, signed.signup
    if signed.already:
        return Reply(ctx.t("You are already signed up for “{title}”.").format(title=event.title))
    if signup.status is SignupStatus.WAITING:
        seen = await events.view(ctx.session, event_id, ctx.person.id)
        text = ctx.t(
            "“{title}” is full. You are number {position} on the waitlist; if a place becomes "
            "free, it is offered to you here."
        )
        return Reply(text.format(title=event.title, position=seen.position))
    return _confirmed(ctx, event, now)


async def cancel_signup(ctx: Context, event_id: int) -> list[Reply]:
    """Gives up the place or leaves the waitlist; a freed place is offered to the next in line."""
    offers = await events.cancel_signup(ctx.session, event_id, ctx.person.id, ctx.clock.now())
    done = Reply(ctx.t("Your signup is cancelled."), edit=True)
    return [done, *events.offer_replies(ctx.catalogs, offers)]


async def send_calendar(ctx: Context, event_id: int) -> Reply:
    """Sends the event's calendar file again."""
    seen = await events.view(ctx.session, event_id, ctx.person.id)
    if seen.signup is None or seen.signup.status is not SignupStatus.CONFIRMED:
        raise DomainError(N_("You have no place at this event."))
    return _confirmed(ctx, seen.event, ctx.clock.now())


async def start_check_in(ctx: Context, event_id: int) -> Reply:
    """Asks for the check-in code shown at the event."""
    await events.view(ctx.session, event_id, ctx.person.id)
    await ctx.start_form(CHECKIN, "code", event=event_id, attempts=0)
    return Reply(ctx.t("Send the check-in code shown at the event."))


async def answer_code(ctx: Context) -> Reply:
    """Checks the person in with the code; a few wrong codes end the attempt."""
    event_id, now = ctx.answers["event"], ctx.clock.now()
    code = (ctx.incoming.text or "").strip()
    if await events.check_in_with_code(ctx.session, event_id, ctx.person.id, code, now):
        await ctx.end_form()
        return Reply(ctx.t("You are checked in. Welcome!"))
    attempts = ctx.answers["attempts"] + 1
    if attempts >= rules.CHECKIN_MAX_ATTEMPTS:
        await ctx.end_form()
        return Reply(ctx.t("Too many wrong codes. Please ask the secretariat to check you in."))
    await ctx.next_step("code", attempts=attempts)
    return Reply(ctx.t("That code is not right. Please try again, or /cancel."))


async def answer_offer(ctx: Context, signup_id: int, choice: str) -> list[Reply]:
    """The first in line confirms or declines the place held for them."""
    now = ctx.clock.now()
    answer = await events.answer_offer(ctx.session, signup_id, ctx.person.id, choice == "y", now)
    offers = events.offer_replies(ctx.catalogs, answer.offers)
    if answer.lapsed:
        late = ctx.t("Sorry, the time to confirm has run out; the place has passed on.")
        return [Reply(late, edit=True), *offers]
    if answer.signup.status is SignupStatus.CONFIRMED:
        return [_confirmed(ctx, answer.event, now)]
    return [Reply(ctx.t("You have declined the place."), edit=True), *offers]


def _confirmed(ctx: Context, event: Event, now: datetime) -> Reply:
    text = ctx.t(
        "You have a place at “{title}”, {when}. Add it to your calendar with the attached "
        "file; you will be reminded a day and an hour before."
    )
    return Reply(
        text.format(title=event.title, when=when(ctx.t, events.span_of(event))),
        file=events.calendar_file(event, now),
    )


# -- /newevent -------------------------------------------------------------------------------


async def new_event(ctx: Context) -> Reply:
    """Starts the event form at its first question."""
    await ctx.start_form(NEW, "title")
    lead = ctx.t("A new event: {count} questions. /cancel stops at any time.")
    return _ask(ctx, "title", lead.format(count=len(STEPS)))


async def answer_text(ctx: Context) -> Reply | list[Reply]:
    """Stores the answer to the current question and asks the next (or applies an edit)."""
    assert ctx.conversation is not None
    step = ctx.conversation.step
    return await _advance(ctx, step, _parse(ctx, step, ctx.incoming.text or ""))


async def press_form(ctx: Context, action: str, value: Any = None) -> Reply | list[Reply]:
    """The form's buttons: no description, no limit, no window, guests, people per unit, create."""
    step = ctx.conversation.step if ctx.conversation else ""
    if not (ctx.in_form(NEW) or ctx.in_form(EDIT)) or FORM_BUTTONS.get(action) != step:
        raise StaleButton()
    if action == "create":
        return await _create(ctx)
    return await _advance(ctx, step, _button_answer(action, value))


async def expect_button(ctx: Context) -> Reply:
    assert ctx.conversation is not None
    return _ask(ctx, ctx.conversation.step, ctx.t("Please use the buttons."))


FORM_BUTTONS = {
    "nodesc": "description",
    "nocap": "capacity",
    "nowin": "window",
    "guests": "guests",
    "unit": "per_unit",
    "create": "confirm",
}


def _button_answer(action: str, value: Any) -> dict[str, Any]:
    if action == "nodesc":
        return {"description": ""}
    if action == "nocap":
        return {"capacity": None}
    if action == "nowin":
        return {"members_until": None}
    if action == "guests":
        return {"guests_allowed": value == "y"}
    return {"per_unit": value}  # "unit"


async def _advance(ctx: Context, step: str, answer: dict[str, Any]) -> Reply | list[Reply]:
    if ctx.in_form(EDIT):
        event_id = ctx.answers["event"]
        await ctx.end_form()
        return await _apply_edit(ctx, event_id, answer)
    _check_so_far(ctx, {**_answers(ctx), **answer})
    following = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else "confirm"
    await ctx.next_step(following, **_stored(answer))
    return _ask(ctx, following)


def _check_so_far(ctx: Context, answers: dict[str, Any]) -> None:
    """Refuses a time or window that cannot be right while its question is still open."""
    if "starts_at" in answers:
        window = answers.get("members_until")
        now = ctx.clock.now()
        events.check_times(answers["starts_at"], answers["ends_at"], window, now)


async def _create(ctx: Context) -> list[Reply]:
    fields, now = EventFields(**_answers(ctx)), ctx.clock.now()
    await ctx.end_form()
    event = await events.create_event(
        ctx.session, fields, ctx.settings.timezone, ctx.person.id, now
    )
    told = await events.announce(ctx.session, ctx.catalogs, event)
    done = ctx.t.nt(
        "The event is created and announced to {count} member contact.",
        "The event is created and announced to {count} member contacts.",
        len(told),
    )
    card = await show_card(ctx, event.id)
    return [Reply(done.format(count=len(told)), edit=True), card, *told]


def _ask(ctx: Context, step: str, lead: str | None = None) -> Reply:
    if step == "confirm":
        return _summary(ctx)
    question = ctx.t(_question(ctx, step)).format(zone=ctx.settings.timezone)
    return Reply("\n".join(filter(None, [lead, question])), buttons=_form_buttons(ctx, step))


def _question(ctx: Context, step: str) -> str:
    window = step == "guests" and ctx.answers.get("members_until")
    return GUESTS_AFTER_WINDOW if window else QUESTIONS[step]


def _form_buttons(ctx: Context, step: str) -> Rows:
    t = ctx.t
    if step == "description":
        return ((Button(t("No description"), button_data("evf", "nodesc")),),)
    if step == "capacity":
        return ((Button(t("No limit"), button_data("evf", "nocap")),),)
    if step == "window":
        return ((Button(t("No members-first window"), button_data("evf", "nowin")),),)
    if step == "guests":
        return (
            (Button(t("Yes, guests too"), button_data("evf", "guests", "y")),),
            (Button(t("No, members only"), button_data("evf", "guests", "n")),),
        )
    if step == "per_unit":
        return (tuple(Button(str(n), button_data("evf", "unit", n)) for n in (1, 2, 3, 5)),)
    return ()


def _summary(ctx: Context) -> Reply:
    lines = [ctx.t("Please check the event:"), *_detail_lines(ctx, EventFields(**_answers(ctx)))]
    lines.append(ctx.t("Press Create to publish it and tell the member units, or /cancel."))
    create = Button(ctx.t("Create"), button_data("evf", "create"))
    return Reply("\n".join(lines), buttons=((create,),))


# -- parsing answers -------------------------------------------------------------------------


def _parse(ctx: Context, step: str, text: str) -> dict[str, Any]:
    """The answer to `step` as event fields; a bad answer is refused with what is wrong."""
    zone, text = ZoneInfo(ctx.settings.timezone), text.strip()
    value = typed(text)  # times and numbers as typed in full width; titles stay as written
    if step == "title":
        return {"title": _one_line(text, 200)}
    if step == "description":
        return {"description": "" if text.lower() in NONE_WORDS else _long(text, 2000)}
    if step == "when":
        return dict(zip(("starts_at", "ends_at"), _span(value, zone), strict=True))
    if step == "place":
        return {"place": _one_line(text, 500)}
    if step == "capacity":
        return {"capacity": None if text.lower() in NONE_WORDS else _number(value, 100_000)}
    if step == "window":
        return {"members_until": None if text.lower() in NONE_WORDS else _moment(value, zone)}
    if step == "per_unit":
        return {"per_unit": _number(value, rules.MAX_PER_UNIT)}
    return {}  # the guests question takes only its buttons


def _span(text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    found = SPAN.match(text)
    if found is None:
        raise DomainError(N_("Please send the time like 2026-12-01 09:00 - 11:30."))
    start_day, start, end_day, end = found.groups()
    return _local(start_day, start, zone), _local(end_day or start_day, end, zone)


def _moment(text: str, zone: ZoneInfo) -> datetime:
    found = MOMENT.match(text)
    if found is None:
        raise DomainError(N_("Please send a date and time like 2026-11-28 18:00."))
    return _local(found[1], found[2], zone)


def _local(day: str, time: str, zone: ZoneInfo) -> datetime:
    try:
        return datetime.strptime(f"{day} {time}", "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError as error:
        raise DomainError(N_("There is no such date or time: {value}."), value=day) from error


def _number(text: str, most: int) -> int:
    try:  # ASCII digits only: str.isdigit() passes "²", which int() refuses
        return between(1, most)(text)
    except ValueError:
        raise DomainError(N_("Please send a whole number from 1 to {most}."), most=most) from None


def _one_line(text: str, limit: int) -> str:
    return _long(" ".join(text.split()), limit)


def _long(text: str, limit: int) -> str:
    if not text:
        raise DomainError(N_("Please answer with text."))
    if len(text) > limit:
        raise DomainError(N_("Please keep this under {limit} characters."), limit=limit)
    return text


def _stored(answer: dict[str, Any]) -> dict[str, Any]:
    """Answers as the conversation keeps them (JSON): times as ISO strings."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in answer.items()}


def _answers(ctx: Context) -> dict[str, Any]:
    times = ("starts_at", "ends_at", "members_until")
    return {
        k: datetime.fromisoformat(v) if k in times and v else v
        for k, v in ctx.answers.items()
        if k in EventFields.__dataclass_fields__
    }


# -- the secretariat's buttons ---------------------------------------------------------------


async def press_staff(ctx: Context, action: str, ident: int, *rest: Any) -> Reply | list[Reply]:
    """The secretariat's buttons on an event; every id is re-loaded and re-checked."""
    return await STAFF_ACTIONS[action](ctx, ident, *rest)


async def show_signups(ctx: Context, event_id: int) -> Reply:
    """Who has a place, who was offered one, and who waits, in order; with exports."""
    event = await _event(ctx, event_id)
    rows = await events.signup_list(ctx.session, event.id)
    lines = [ctx.t("Signups for “{title}”:").format(title=event.title)]
    for number, (signup, name, unit) in enumerate(rows, 1):
        status = ctx.t(events.STATUS_NAMES[signup.status])
        mark = " ✅" if signup.attended_at else ""
        lines.append(f"{number}. {name} — {unit.name if unit else '—'} — {status}{mark}")
    if not rows:
        lines.append(ctx.t("Nobody has signed up yet."))
    exports = (
        Button(ctx.t("Export XLSX"), button_data("evs", "xlsx", event.id)),
        Button(ctx.t("Export CSV"), button_data("evs", "csv", event.id)),
    )
    return Reply("\n".join(lines), buttons=(exports,), protect=True)


async def export(ctx: Context, event_id: int, kind: str = "xlsx") -> Reply:
    """Sends the list of signups as a spreadsheet, in the reader's language."""
    event = await _event(ctx, event_id)
    header, table = await events.signup_table(ctx.session, event.id, ctx.t)
    content = roster.to_xlsx(header, table) if kind == "xlsx" else roster.to_csv(header, table)
    file = OutgoingFile(name=f"event-{event.id}-signups.{kind}", content=content)
    caption = ctx.t.nt("{count} signup.", "{count} signups.", len(table)).format(count=len(table))
    return Reply(caption, file=file, protect=True, durable=True)


async def export_csv(ctx: Context, event_id: int) -> Reply:
    return await export(ctx, event_id, kind="csv")


async def attendance(ctx: Context, event_id: int, shown_page: int | None = None) -> Reply:
    """The people with a place, as buttons that check them in (or undo it), a page at a time;
    a page number means the list is on screen already and is edited."""
    event = await _event(ctx, event_id)
    page = shown_page or 0
    rows = await events.signup_list(ctx.session, event.id, SignupStatus.CONFIRMED)
    shown = rows[page * PAGE : (page + 1) * PAGE]
    buttons = [
        (
            Button(
                f"{'✅' if s.attended_at else '⬜'} {name}"[:60],
                button_data("evs", "tick", s.id, page),
            ),
        )
        for s, name, _ in shown
    ]
    if len(rows) > (page + 1) * PAGE:
        buttons.append((Button(ctx.t("More…"), button_data("evs", "att", event.id, page + 1)),))
    present = sum(1 for s, _, _ in rows if s.attended_at)
    text = ctx.t(
        "Attendance at “{title}”: {present} of {count} checked in. Press a name to check it "
        "in or out."
    )
    return Reply(
        text.format(title=event.title, present=present, count=len(rows)),
        buttons=tuple(buttons),
        edit=shown_page is not None,
    )


async def tick(ctx: Context, signup_id: int, page: int = 0) -> Reply:
    """Checks a person in, or undoes it, and shows the list again."""
    signup = await events.toggle_attendance(ctx.session, signup_id, ctx.person.id, ctx.clock.now())
    return await attendance(ctx, signup.event_id, page)


async def checkin_code(ctx: Context, event_id: int) -> Reply:
    """Makes a new check-in code to show at the event; the previous one stops working."""
    event = await events.new_checkin_code(ctx.session, event_id, ctx.person.id, ctx.clock.now())
    text = ctx.t(
        "Check-in code for “{title}”: {code}. Attendees open the event in /events, press "
        "“Check in with a code” and send it."
    )
    return Reply(text.format(title=event.title, code=event.checkin_code), protect=True)


async def ask_close(ctx: Context, event_id: int) -> Reply:
    event = await _event(ctx, event_id)
    text = ctx.t(
        "Close “{title}”? Check-in ends, and each unit whose people were checked in has taken "
        "part in the center's activities (art. 16(2))."
    )
    yes = Button(ctx.t("Yes, close it"), button_data("evs", "closeok", event.id))
    return Reply(text.format(title=event.title), buttons=((yes,),))


async def close(ctx: Context, event_id: int) -> Reply:
    """Closes the event and counts attendance as participation."""
    event, credited = await events.close_event(
        ctx.session, event_id, ctx.person.id, ctx.clock.now()
    )
    text = ctx.t.nt(
        "“{title}” is closed; {count} unit's attendance is recorded.",
        "“{title}” is closed; {count} units' attendance is recorded.",
        credited,
    )
    return Reply(text.format(title=event.title, count=credited), edit=True)


async def ask_cancel(ctx: Context, event_id: int) -> Reply:
    event = await _event(ctx, event_id)
    text = ctx.t("Cancel “{title}”? Everyone signed up will be told.").format(title=event.title)
    yes = Button(ctx.t("Yes, cancel the event"), button_data("evs", "cancelok", event.id))
    return Reply(text, buttons=((yes,),))


async def cancel_event(ctx: Context, event_id: int) -> list[Reply]:
    """Cancels the event; reminders are dropped and everyone signed up is told."""
    now = ctx.clock.now()
    change = await events.cancel_event(ctx.session, event_id, ctx.person.id, now)
    text = ctx.t.nt(
        "The event is cancelled; {count} person has been told.",
        "The event is cancelled; {count} people have been told.",
        len(change.told),
    )
    return [
        Reply(text.format(count=len(change.told)), edit=True),
        *events.change_replies(ctx.catalogs, change, now),
    ]


async def choose_field(ctx: Context, event_id: int) -> Reply:
    """Offers the fields that can be changed; guests are switched at once."""
    event = await _event(ctx, event_id)
    rows = [
        (Button(ctx.t(label), button_data("evs", "field", event.id, key)),)
        for key, label in FIELD_NAMES.items()
    ]
    guests = N_("Let guests sign up") if not event.guests_allowed else N_("Members only")
    rows.append((Button(ctx.t(guests), button_data("evs", "guests", event.id)),))
    return Reply(ctx.t("What would you like to change?"), buttons=tuple(rows))


async def edit_field(ctx: Context, event_id: int, field: str) -> Reply:
    """Asks for the new value of one field."""
    event = await _event(ctx, event_id)
    await ctx.start_form(EDIT, field, event=event.id)
    return _ask(ctx, field)


async def toggle_guests(ctx: Context, event_id: int) -> list[Reply]:
    """Lets guests sign up after the members-first window, or stops them."""
    event = await _event(ctx, event_id)
    return await _apply_edit(ctx, event.id, {"guests_allowed": not event.guests_allowed})


async def _apply_edit(ctx: Context, event_id: int, changes: dict[str, Any]) -> list[Reply]:
    now = ctx.clock.now()
    change = await events.edit_event(ctx.session, event_id, changes, ctx.person.id, now)
    text = ctx.t.nt(
        "Saved; {count} person signed up has been told.",
        "Saved; {count} people signed up have been told.",
        len(change.told),
    )
    card = await show_card(ctx, event_id)
    return [
        Reply(text.format(count=len(change.told))),
        card,
        *events.change_replies(ctx.catalogs, change, now),
    ]


async def _event(ctx: Context, event_id: int) -> Event:
    return (await events.view(ctx.session, event_id, ctx.person.id)).event


# -- rendering -------------------------------------------------------------------------------


def _detail_lines(ctx: Context, fields: EventFields) -> list[str]:
    t = ctx.t
    lines = [
        f"📅 {fields.title}",
        t("When: {when}").format(when=when(t, Span(fields.starts_at, fields.ends_at))),
    ]
    lines.append(t("Where: {place}").format(place=fields.place))
    if fields.description:
        lines.append(fields.description)
    if fields.members_until is not None:
        lines.append(
            t("Member units first, until {until} (art. 13(2)).").format(
                until=when(t, Span(fields.members_until))
            )
        )
    lines.append(_guests_line(t, fields))
    lines.append(t("Each unit may send up to {count}.").format(count=fields.per_unit))
    return lines


def _guests_line(t: Translator, fields: EventFields) -> str:
    """Art. 13(2): whether guests may sign up, and from when if members come first."""
    if not fields.guests_allowed:
        return t("Member units only.")
    if fields.members_until is None:
        return t("Guests may sign up too.")
    text = t("Guests may sign up from {when}.")
    return text.format(when=when(t, Span(fields.members_until)))


def _places(t: Translator, event: Event, taken: int) -> str:
    free = rules.free_places(event.capacity, taken)
    if free is None:
        return t("no limit on places")
    if free == 0:
        return t("full; waitlist open")
    return t.nt("{count} place free", "{count} places free", free).format(count=free)


def _places_line(t: Translator, seen: View) -> str:
    if seen.event.capacity is None:
        return t("No limit on places.")
    text = t("Places: {taken} of {capacity} taken.")
    return text.format(taken=seen.taken, capacity=seen.event.capacity)


def _status_lines(t: Translator, seen: View) -> list[str]:
    signup = seen.signup
    if signup is None:
        return []
    if signup.status is SignupStatus.CONFIRMED:
        return [t("You have a place.") + (" ✅" if signup.attended_at else "")]
    if signup.status is SignupStatus.WAITING:
        return [t("You are number {position} on the waitlist.").format(position=seen.position)]
    assert signup.offer_expires_at is not None
    text = t("A place is held for you until {deadline}.")
    return [text.format(deadline=when(t, Span(signup.offer_expires_at)))]


def _person_buttons(ctx: Context, seen: View) -> Rows:
    t, event, signup = ctx.t, seen.event, seen.signup
    if signup is None:
        full = rules.free_places(event.capacity, seen.taken) == 0
        label = t("Join the waitlist") if full else t("Sign up")
        return ((Button(label, button_data("ev", "in", event.id)),),)
    if signup.status is SignupStatus.OFFERED:
        return (
            (Button(t("Confirm my place"), button_data("evo", signup.id, "y")),),
            (Button(t("Decline"), button_data("evo", signup.id, "n")),),
        )
    rows = [(Button(t("Cancel my signup"), button_data("ev", "out", event.id)),)]
    if signup.status is SignupStatus.CONFIRMED:
        rows.append((Button(t("Calendar file"), button_data("ev", "ics", event.id)),))
        if event.checkin_code and rules.check_in_open(
            ctx.clock.now(), event.starts_at, event.ends_at
        ):
            rows.append((Button(t("Check in with a code"), button_data("ev", "code", event.id)),))
    return tuple(rows)


def _staff_buttons(ctx: Context, event: Event) -> Rows:
    if Role.SECRETARIAT not in ctx.roles:
        return ()
    t, actions = ctx.t, STAFF_BUTTONS if event.status is EventStatus.OPEN else STAFF_BUTTONS[:1]
    return tuple(
        (Button(t(label), button_data("evs", code, event.id)),) for label, code in actions
    )


PERSON_ACTIONS: dict[str, Callable[[Context, int], Awaitable[Reply | list[Reply]]]] = {
    "card": show_card,
    "in": sign_up,
    "out": cancel_signup,
    "ics": send_calendar,
    "code": start_check_in,
}
STAFF_ACTIONS: dict[str, Callable[..., Awaitable[Reply | list[Reply]]]] = {
    "list": show_signups,
    "xlsx": export,
    "csv": export_csv,
    "att": attendance,
    "tick": tick,
    "code": checkin_code,
    "close": ask_close,
    "closeok": close,
    "cancel": ask_cancel,
    "cancelok": cancel_event,
    "edit": choose_field,
    "field": edit_field,
    "guests": toggle_guests,
}

YES_NO = one_of("y", "n")
STAFF_ARGS = {action: (Id,) for action in STAFF_ACTIONS} | {
    "att": (Id, Opt(Index)),  # the page, when the list is on screen
    "tick": (Id, Index),
    "field": (Id, one_of(*FIELD_NAMES)),
}
FORM_ARGS = dict.fromkeys(("nodesc", "nocap", "nowin", "create"), ()) | {
    "guests": (YES_NO,),
    "unit": (between(1, rules.MAX_PER_UNIT),),
}


def setup() -> Feature:
    text_steps = {step: answer_text for step in STEPS if step != "guests"}
    return Feature(
        commands=[
            Command("events", list_events, N_("Upcoming events: sign up, cancel, check in")),
            Command("newevent", new_event, N_("Create an event"), roles=SECRETARIAT),
        ],
        buttons=[
            ButtonAction("ev", press, args=dict.fromkeys(PERSON_ACTIONS, (Id,))),
            ButtonAction("evo", answer_offer, args=(Id, YES_NO)),
            ButtonAction("evs", press_staff, roles=SECRETARIAT, args=STAFF_ARGS),
            ButtonAction("evf", press_form, roles=SECRETARIAT, args=FORM_ARGS),
        ],
        forms=[
            Form(
                NEW,
                {**text_steps, "guests": expect_button, "confirm": expect_button},
                roles=SECRETARIAT,
            ),
            Form(EDIT, text_steps, roles=SECRETARIAT),
            Form(CHECKIN, {"code": answer_code}),
        ],
    )
