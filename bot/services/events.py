"""Events (art. 7, 13(2), 16(2)): create, change, cancel; sign up, the waitlist; attendance.

Every use case that counts places locks the event row first (`storage.events.lock`), so
signups, cancellations and offers for one event happen one after another, on PostgreSQL as
on SQLite. Messages to other people are returned as `Reply(chat_id=...)` or, for what falls
due later, go through the reminders table (kinds at the end of this module).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar
from bot.charter import events as rules
from bot.charter.events import EventFields, FieldProblem, SignupRefusal
from bot.charter.membership import has_member_rights
from bot.clock import local_date
from bot.errors import DomainError, StaleButton
from bot.i18n import N_, Catalogs, Translator
from bot.protocol import Button, OutgoingFile, Reply
from bot.reminders.kinds import Firing, ReminderKind
from bot.routing import button_data
from bot.services import notify
from bot.services.membership import record_participation
from bot.validation import typed
from storage import audit, reminders, units
from storage import events as stored
from storage import membership as discipline
from storage.events_models import ACTIVE, HOLDING, Event, EventSignup, EventStatus, SignupStatus
from storage.models import Person, Unit, UnitStatus
from storage.names import printed_names

REMINDER_KIND = "event_reminder"  # a day and an hour before, to those with a place
OFFER_KIND = "event_offer"  # tells the first in line that a place is held for them
LAPSE_KIND = "event_offer_lapse"  # when an offer runs out: the place passes on

NOT_FOUND = N_("This event no longer exists.")
NOT_OPEN = N_("This event has been cancelled or closed.")
NOT_SIGNED_UP = N_("You are not signed up for this event.")
REFUSALS = {
    SignupRefusal.CLOSED: N_("Signup for this event is closed."),
    SignupRefusal.MEMBERS_FIRST: N_(
        "Until {until}, only member units may sign up for this event: they have priority "
        "(charter art. 13(2)). Guests may sign up from then."
    ),
    SignupRefusal.MEMBERS_ONLY: N_("This event is open to member units only."),
    SignupRefusal.UNIT_LIMIT: N_(
        "Your unit has reached this event's limit of people per unit ({count})."
    ),
    SignupRefusal.SUSPENDED_UNTIL: N_(
        "Your unit's member rights have been suspended since {since} (art. 15(3)); you may "
        "sign up as a guest from {until}. Please ask the secretariat about it."
    ),
    SignupRefusal.SUSPENDED: N_(
        "Your unit's member rights have been suspended since {since} (art. 15(3)), and this "
        "event is for member units only. Please ask the secretariat about it."
    ),
}
# When the suspension has no record to date it from (a unit imported as suspended). A
# refusal on a button is shown in Telegram's alert, which takes at most 200 characters.
UNDATED = {
    SignupRefusal.SUSPENDED_UNTIL: N_(
        "Your unit's member rights are suspended (art. 15(3)); you may sign up as a guest "
        "from {until}. Please ask the secretariat about it."
    ),
    SignupRefusal.SUSPENDED: N_(
        "Your unit's member rights are suspended (art. 15(3)), and this event is for member "
        "units only. Please ask the secretariat about it."
    ),
}
FIELD_PROBLEMS = {
    FieldProblem.ENDS_BEFORE_START: N_("The event must end after it starts."),
    FieldProblem.IN_THE_PAST: N_("The event must start in the future."),
    FieldProblem.WINDOW_AFTER_START: N_("The members-first window must end before the start."),
    FieldProblem.BAD_CAPACITY: N_("The number of places must be at least 1."),
    FieldProblem.BAD_PER_UNIT: N_("Each unit may send between 1 and {most} people."),
}
CAPACITY_TOO_SMALL = N_("{taken} places are already taken; the event cannot have fewer.")


@dataclass(frozen=True)
class Offer:
    """A freed place held for the first on the waitlist until `signup.offer_expires_at`."""

    event: Event
    signup: EventSignup
    person: Person


@dataclass(frozen=True)
class Signed:
    event: Event
    signup: EventSignup
    already: bool  # they were signed up before; nothing changed


@dataclass(frozen=True)
class Change:
    """An event changed or was cancelled: whom to tell, and any places offered by it."""

    event: Event
    told: list[Person]  # everyone with a place, an offer, or on the waitlist
    with_place: frozenset[int]  # ids of those told who have a place: they get a calendar file
    offers: list[Offer]


@dataclass(frozen=True)
class OfferAnswer:
    event: Event
    signup: EventSignup
    lapsed: bool  # too late: the place passed on
    offers: list[Offer]


# -- the secretariat's events ------------------------------------------------------------------


async def create_event(
    session: AsyncSession,
    fields: EventFields,
    timezone: str,
    actor_id: int | None,
    now: datetime,
) -> Event:
    """Art. 7: the center organises an event; its times are kept in the center's zone."""
    _check(fields, now)
    event = Event(**asdict(fields), timezone=timezone, status=EventStatus.OPEN, sequence=0)
    event.created_by, event.created_at = actor_id, now
    session.add(event)
    await session.flush()
    await audit.record(session, now, actor_id, "event.create", f"event:{event.id}")
    return event


async def edit_event(
    session: AsyncSession, event_id: int, changes: dict[str, Any], actor_id: int, now: datetime
) -> Change:
    """Changes an event; reminders follow it, and a larger room offers places to the waitlist."""
    event = await open_event(session, event_id)
    fields = replace(fields_of(event), **changes)
    _check(fields, now)
    taken = await stored.count(session, event.id, *HOLDING)
    if not rules.may_change_capacity(fields.capacity, taken):
        raise DomainError(CAPACITY_TOO_SMALL, taken=taken)
    for name, value in changes.items():
        setattr(event, name, value)
    event.sequence += 1
    await _rearm_reminders(session, event, now)
    offers = await _offer_free_places(session, event, now)
    await audit.record(
        session, now, actor_id, "event.edit", f"event:{event.id}", fields=sorted(changes)
    )
    offered = {offer.person.id for offer in offers}
    told = [p for p in await stored.people(session, event.id, *ACTIVE) if p.id not in offered]
    return Change(event, told, await _with_place(session, event.id), offers)


async def cancel_event(
    session: AsyncSession, event_id: int, actor_id: int, now: datetime
) -> Change:
    """Calls the event off: reminders and offers are dropped; everyone signed up is told."""
    event = await open_event(session, event_id)
    event.status, event.sequence = EventStatus.CANCELLED, event.sequence + 1
    await stored.cancel_reminders(session, _key(event.id), now)
    await stored.cancel_reminders(session, _offer_key(event.id), now)
    await audit.record(session, now, actor_id, "event.cancel", f"event:{event.id}")
    told = await stored.people(session, event.id, *ACTIVE)
    return Change(event, told, await _with_place(session, event.id), [])


async def close_event(
    session: AsyncSession, event_id: int, actor_id: int, now: datetime
) -> tuple[Event, int]:
    """Art. 16(2): closes attendance; each unit that attended has taken part in the center's
    activities on the event's day. Returns the event and how many units were credited."""
    event = await open_event(session, event_id)
    if now < event.starts_at:
        raise DomainError(N_("The event has not started yet."))
    event.status, event.closed_at, event.checkin_code = EventStatus.CLOSED, now, None
    await stored.cancel_reminders(session, _key(event.id), now)
    await stored.cancel_reminders(session, _offer_key(event.id), now)
    day = rules.participation_day(event.starts_at, event.timezone)
    unit_ids = await stored.attended_units(session, event.id)
    for unit_id in unit_ids:
        await record_participation(session, unit_id, "event", day, f"event:{event.id}")
    await audit.record(
        session, now, actor_id, "event.close", f"event:{event.id}", units=len(unit_ids)
    )
    return event, len(unit_ids)


async def open_event(session: AsyncSession, event_id: int) -> Event:
    """The event, locked, while it is still open; otherwise a refusal."""
    event = await _locked(session, event_id)
    if event.status is not EventStatus.OPEN:
        raise DomainError(NOT_OPEN)
    return event


def fields_of(event: Event) -> EventFields:
    names = EventFields.__dataclass_fields__
    return EventFields(**{name: getattr(event, name) for name in names})


def entry_of(event: Event) -> calendar.CalendarEntry:
    names = ("title", "description", "starts_at", "ends_at", "timezone", "place", "sequence")
    return calendar.CalendarEntry(event.id, **{name: getattr(event, name) for name in names})


# -- what people see -----------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """An event as one person sees it: places taken, and their own signup if any."""

    event: Event
    taken: int
    signup: EventSignup | None
    position: int | None  # on the waitlist, from 1


async def upcoming(session: AsyncSession, now: datetime) -> list[tuple[Event, int]]:
    """Open events not yet over, soonest first, with the places taken."""
    found = await stored.upcoming(session, now)
    taken = await stored.taken(session, [event.id for event in found])
    return [(event, taken.get(event.id, 0)) for event in found]


async def view(session: AsyncSession, event_id: int, person_id: int) -> View:
    event = await stored.get(session, event_id)
    if event is None:
        raise DomainError(NOT_FOUND)
    signup = await stored.signup_of(session, event.id, person_id)
    active = signup if signup is not None and signup.status in ACTIVE else None
    waiting = active is not None and active.status is SignupStatus.WAITING
    position = await stored.position(session, active) if waiting and active else None
    return View(event, await stored.count(session, event.id, *HOLDING), active, position)


STATUS_NAMES = {
    SignupStatus.CONFIRMED: N_("has a place"),
    SignupStatus.OFFERED: N_("offered a freed place"),
    SignupStatus.WAITING: N_("waiting"),
}
COLUMNS = (N_("Status"), N_("Name"), N_("Unit"), N_("Signed up"), N_("Checked in"))


async def signup_rows(
    session: AsyncSession, event_id: int, *statuses: SignupStatus
) -> list[stored.Row]:
    """Signups with person and unit: places first, then offers, then the waitlist in order."""
    return await stored.rows(session, event_id, *statuses)


NamedRow = tuple[EventSignup, str, Unit | None]


async def signup_list(
    session: AsyncSession, event_id: int, *statuses: SignupStatus
) -> list[NamedRow]:
    """`signup_rows` as the secretariat prints them: each person by the roster's name, with
    the Telegram name beside it only when different (storage.names)."""
    rows = await stored.rows(session, event_id, *statuses)
    names = await printed_names(session, [person for _, person, _ in rows])
    return [(signup, names[person.id], unit) for signup, person, unit in rows]


async def signup_table(
    session: AsyncSession, event_id: int, t: Translator
) -> tuple[list[str], list[list[str]]]:
    """The lists of an event for export, in the reader's language and the event's zone."""
    event = await stored.get(session, event_id)
    zone = ZoneInfo(event.timezone if event else "UTC")
    table = [
        [
            t(STATUS_NAMES[signup.status]),
            name,
            unit.name if unit else "",
            f"{signup.queued_at.astimezone(zone):%Y-%m-%d %H:%M}",
            f"{signup.attended_at.astimezone(zone):%Y-%m-%d %H:%M}" if signup.attended_at else "",
        ]
        for signup, name, unit in await signup_list(session, event_id)
    ]
    return [t(label) for label in COLUMNS], table


# -- signing up and the waitlist ---------------------------------------------------------------


async def sign_up(session: AsyncSession, event_id: int, person_id: int, now: datetime) -> Signed:
    """Art. 13(2): a place, or the waitlist when full; signing up twice changes nothing."""
    event = await _locked(session, event_id)
    signup = await stored.signup_of(session, event.id, person_id)
    if signup is not None and signup.status in ACTIVE:
        return Signed(event, signup, already=True)
    unit_id = await _check_may_sign_up(session, event, person_id, now)
    taken = await stored.count(session, event.id, *HOLDING)
    waiting = await stored.count(session, event.id, SignupStatus.WAITING)
    has_place = rules.gets_place(event.capacity, taken, waiting)
    status = SignupStatus.CONFIRMED if has_place else SignupStatus.WAITING
    if signup is None:
        signup = EventSignup(event_id=event.id, person_id=person_id)
        session.add(signup)
    signup.unit_id, signup.status, signup.queued_at = unit_id, status, now
    signup.offer_expires_at = signup.attended_at = signup.cancelled_at = None
    await session.flush()
    if has_place:
        await _schedule_reminders(session, event, signup, now)
    return Signed(event, signup, already=False)


async def cancel_signup(
    session: AsyncSession, event_id: int, person_id: int, now: datetime
) -> list[Offer]:
    """Gives up a place (or leaves the waitlist); a freed place is offered to the next."""
    event = await open_event(session, event_id)
    signup = await stored.signup_of(session, event.id, person_id)
    if signup is None or signup.status not in ACTIVE:
        raise DomainError(NOT_SIGNED_UP)
    held = signup.status in HOLDING
    signup.status, signup.cancelled_at, signup.offer_expires_at = SignupStatus.CANCELLED, now, None
    await _drop_reminders(session, signup, now)
    return await _offer_free_places(session, event, now) if held else []


async def answer_offer(
    session: AsyncSession, signup_id: int, person_id: int, accept: bool, now: datetime
) -> OfferAnswer:
    """The first in line takes the held place, or declines it; too late, it passes on."""
    found = await stored.signup(session, signup_id)
    if found is None or found.person_id != person_id:
        raise StaleButton()
    event = await _locked(session, found.event_id)
    signup = await stored.signup(session, signup_id)
    if signup is None or signup.status is not SignupStatus.OFFERED:
        raise DomainError(N_("This offer is no longer open."))
    assert signup.offer_expires_at is not None
    if now >= signup.offer_expires_at or event.status is not EventStatus.OPEN:
        return await _lapse(session, event, signup, now)
    await stored.cancel_reminders(session, _offer_key(event.id, signup.id), now)
    signup.offer_expires_at = None
    if accept:
        signup.status = SignupStatus.CONFIRMED
        await _schedule_reminders(session, event, signup, now)
        return OfferAnswer(event, signup, False, [])
    signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
    return OfferAnswer(event, signup, False, await _offer_free_places(session, event, now))


async def lapse_offer(session: AsyncSession, signup_id: int, now: datetime) -> OfferAnswer | None:
    """An offer not confirmed in time lapses and the place goes to the next (None: it was
    answered meanwhile)."""
    found = await stored.signup(session, signup_id)
    if found is None:
        return None
    event = await _locked(session, found.event_id)
    signup = await stored.signup(session, signup_id)
    expires = signup.offer_expires_at if signup else None
    if signup is None or signup.status is not SignupStatus.OFFERED or expires is None:
        return None
    return await _lapse(session, event, signup, now) if now >= expires else None


async def _lapse(
    session: AsyncSession, event: Event, signup: EventSignup, now: datetime
) -> OfferAnswer:
    signup.status, signup.offer_expires_at = SignupStatus.LAPSED, None
    await stored.cancel_reminders(session, _offer_key(event.id, signup.id), now)
    return OfferAnswer(event, signup, True, await _offer_free_places(session, event, now))


async def _check_may_sign_up(
    session: AsyncSession, event: Event, person_id: int, now: datetime
) -> int | None:
    """Applies art. 13(2) to the person's unit as it stands now; returns the unit's id. A
    refusal says why: a suspended unit's contact is told since when (art. 15(3))."""
    found = await units.of_person(session, person_id)
    unit = found[0] if found else None
    count = await stored.unit_signups(session, event.id, unit.id) if unit else None
    refusal = rules.signup_refusal(
        now,
        fields_of(event),
        open_=event.status is EventStatus.OPEN,
        has_member_rights=unit is not None and has_member_rights(unit.status),
        unit_signups=count,
        unit_suspended=unit is not None and unit.status is UnitStatus.SUSPENDED,
    )
    if refusal is None:
        return unit.id if unit else None
    suspended = refusal in (SignupRefusal.SUSPENDED, SignupRefusal.SUSPENDED_UNTIL)
    since = await _suspended_since(session, event, unit) if suspended else None
    message = UNDATED[refusal] if suspended and since is None else REFUSALS[refusal]
    raise DomainError(message, until=event.members_until or now, count=count, since=since)


async def _suspended_since(session: AsyncSession, event: Event, unit: Unit | None) -> date | None:
    """Art. 15(3): the day, on the event's calendar, the unit's rights were suspended."""
    record = await discipline.open_suspension(session, unit.id) if unit else None
    return local_date(record.decided_at, ZoneInfo(event.timezone)) if record else None


async def _offer_free_places(session: AsyncSession, event: Event, now: datetime) -> list[Offer]:
    """Art. 7: each free place is held for the next on the waitlist, in order."""
    if event.status is not EventStatus.OPEN or now >= event.starts_at:
        return []
    taken = await stored.count(session, event.id, *HOLDING)
    waiting = await stored.count(session, event.id, SignupStatus.WAITING)
    offers = []
    for signup in await stored.waiting(
        session, event.id, rules.places_to_offer(event.capacity, taken, waiting)
    ):
        signup.status = SignupStatus.OFFERED
        signup.offer_expires_at = rules.offer_expires_at(now, event.starts_at)
        await reminders.schedule(
            session,
            kind=LAPSE_KIND,
            person_id=signup.person_id,
            due_at=signup.offer_expires_at,
            dedup_key=f"{_offer_key(event.id, signup.id)}{signup.offer_expires_at:%Y%m%d%H%M%S}",
            payload={"signup": signup.id},
            now=now,
        )
        person = await session.get(Person, signup.person_id)
        assert person is not None
        offers.append(Offer(event, signup, person))
    return offers


# -- attendance ----------------------------------------------------------------------------------


async def toggle_attendance(
    session: AsyncSession, signup_id: int, actor_id: int, now: datetime
) -> EventSignup:
    """Art. 16(2): the secretariat checks a person in, or undoes a mistaken check-in."""
    found = await stored.signup(session, signup_id)
    if found is None:
        raise StaleButton()
    await open_event(session, found.event_id)
    if found.status is not SignupStatus.CONFIRMED:
        raise DomainError(N_("This person has no place at the event."))
    found.attended_at = None if found.attended_at else now
    found.checked_in_by = actor_id
    return found


async def new_checkin_code(
    session: AsyncSession, event_id: int, actor_id: int, now: datetime
) -> Event:
    """A fresh code that attendees send to check themselves in; the old one stops working."""
    event = await open_event(session, event_id)
    digits = rules.CHECKIN_CODE_DIGITS
    event.checkin_code = str(secrets.randbelow(10**digits)).zfill(digits)
    await audit.record(session, now, actor_id, "event.checkin_code", f"event:{event.id}")
    return event


async def check_in_with_code(
    session: AsyncSession, event_id: int, person_id: int, code: str, now: datetime
) -> bool:
    """Art. 16(2): an attendee checks in with the code shown at the event; False if wrong."""
    event = await open_event(session, event_id)
    if event.checkin_code is None or not rules.check_in_open(now, event.starts_at, event.ends_at):
        raise DomainError(N_("Check-in for this event is not open."))
    signup = await stored.signup_of(session, event.id, person_id)
    if signup is None or signup.status is not SignupStatus.CONFIRMED:
        raise DomainError(N_("You have no place at this event."))
    # As bytes: compare_digest refuses a str with non-ASCII characters (a TypeError).
    if not secrets.compare_digest(typed(code).encode(), event.checkin_code.encode()):
        return False
    signup.attended_at = signup.attended_at or now
    return True


# -- reminders -----------------------------------------------------------------------------------


def _key(event_id: int, signup_id: int | None = None) -> str:
    return f"event:{event_id}:" + (f"s{signup_id}:" if signup_id is not None else "")


def _offer_key(event_id: int, signup_id: int | None = None) -> str:
    return f"offer:{event_id}:" + (f"s{signup_id}:" if signup_id is not None else "")


async def _schedule_reminders(
    session: AsyncSession, event: Event, signup: EventSignup, now: datetime
) -> None:
    """A day and an hour before (settings); the key names the event's version, so a moved
    event gets fresh reminders even where the old ones were already sent."""
    for name, due_at in rules.reminders_due(event.starts_at, now).items():
        await reminders.schedule(
            session,
            kind=REMINDER_KIND,
            person_id=signup.person_id,
            due_at=due_at,
            expires_at=event.starts_at,
            dedup_key=f"{_key(event.id, signup.id)}v{event.sequence}:{name}",
            subject=f"{_key(event.id, signup.id)}v{event.sequence}",  # one reminder goes late
            payload={"signup": signup.id, "sequence": event.sequence},
            now=now,
        )


async def _drop_reminders(session: AsyncSession, signup: EventSignup, now: datetime) -> None:
    await stored.cancel_reminders(session, _key(signup.event_id, signup.id), now)
    await stored.cancel_reminders(session, _offer_key(signup.event_id, signup.id), now)


async def _rearm_reminders(session: AsyncSession, event: Event, now: datetime) -> None:
    await stored.cancel_reminders(session, _key(event.id), now)
    for signup, _person, _unit in await stored.rows(session, event.id, SignupStatus.CONFIRMED):
        await _schedule_reminders(session, event, signup, now)


async def _with_place(session: AsyncSession, event_id: int) -> frozenset[int]:
    return frozenset(p.id for p in await stored.people(session, event_id, SignupStatus.CONFIRMED))


async def _locked(session: AsyncSession, event_id: int) -> Event:
    event = await stored.lock(session, event_id)
    if event is None:
        raise DomainError(NOT_FOUND)
    return event


def _check(fields: EventFields, now: datetime) -> None:
    _raise(rules.fields_problem(fields, now))


def check_times(
    starts_at: datetime, ends_at: datetime, members_until: datetime | None, now: datetime
) -> None:
    """Refuses a time or a members-first window that cannot be right, as soon as it is given."""
    _raise(rules.times_problem(starts_at, ends_at, members_until, now))


def _raise(problem: FieldProblem | None) -> None:
    if problem is not None:
        raise DomainError(FIELD_PROBLEMS[problem], most=rules.MAX_PER_UNIT)


# -- what is told to whom --------------------------------------------------------------------

NEW_EVENT = N_("New event: “{title}”, {when}, {place}. Sign up with /events.")
NEW_EVENT_MEMBERS_FIRST = N_(
    "New event: “{title}”, {when}, {place}. Member units may sign up first, until {until} "
    "(art. 13(2)). Sign up with /events."
)
OFFERED = N_(
    "A place has become free at “{title}” ({when}). It is held for you until {deadline}: "
    "confirm it, or it passes to the next person on the waitlist."
)
CHANGED = N_("“{title}” has changed. It is now on {when}, at {place}.")
CANCELLED = N_("“{title}” ({when}) has been cancelled. We are sorry for the inconvenience.")
LAPSED = N_(
    "You did not confirm the place at “{title}” in time, so it has passed to the next person "
    "on the waitlist."
)
REMINDER = N_("Reminder: “{title}” starts {when}. Place: {place}")


@dataclass(frozen=True)
class Span:
    """A moment, or a stretch of time, shown in each reader's language and time zone."""

    start: datetime
    end: datetime | None = None


class DatedNote(notify.Note):
    """A note whose `Span` parameters are formatted for each recipient."""

    def render(self, t: Translator) -> str:
        params = {k: when(t, v) if isinstance(v, Span) else v for k, v in self.params.items()}
        return notify.Note(self.message, params, self.buttons).render(t)


def when(t: Translator, span: Span) -> str:
    """`Tue, Dec 1, 2026, 09:00 – 11:30` / `2026年12月1日周二 09:00 – 11:30`, in the reader's
    zone; an end on another day is given in full."""
    text = t.datetime(span.start)
    if span.end is None:
        return text
    same_day = t.today(span.end) == t.today(span.start)
    return f"{text} – {t.time(span.end) if same_day else t.datetime(span.end)}"


def span_of(event: Event) -> Span:
    return Span(event.starts_at, event.ends_at)


def offer_note(offer: Offer) -> DatedNote:
    signup = offer.signup
    assert signup.offer_expires_at is not None
    buttons = (
        (N_("Confirm my place"), button_data("evo", signup.id, "y")),
        (N_("Decline"), button_data("evo", signup.id, "n")),
    )
    params = {"title": offer.event.title, "when": span_of(offer.event)}
    return DatedNote(OFFERED, {**params, "deadline": Span(signup.offer_expires_at)}, buttons)


def offer_replies(catalogs: Catalogs, offers: list[Offer]) -> list[Reply]:
    """The offers of freed places, each to its person with buttons to confirm or decline."""
    return [r for o in offers for r in notify.to_people(catalogs, [o.person], offer_note(o))]


def change_replies(catalogs: Catalogs, change: Change, now: datetime) -> list[Reply]:
    """Tells everyone signed up of a change or cancellation; those with a place get a
    calendar file that updates (or removes) the entry in their calendar."""
    event = change.event
    cancelled = event.status is EventStatus.CANCELLED
    params = {"title": event.title, "when": span_of(event), "place": event.place}
    what = DatedNote(CANCELLED if cancelled else CHANGED, params)
    ics = calendar_file(event, now)
    replies = []
    for person in change.told:
        (reply,) = notify.to_people(catalogs, [person], what)
        replies.append(replace(reply, file=ics) if person.id in change.with_place else reply)
    return replies + offer_replies(catalogs, change.offers)


async def announce(session: AsyncSession, catalogs: Catalogs, event: Event) -> list[Reply]:
    """Art. 13(2): member units hear of a new event first, with the window they have."""
    params = {"title": event.title, "when": span_of(event), "place": event.place}
    if event.members_until is not None:
        note = DatedNote(NEW_EVENT_MEMBERS_FIRST, {**params, "until": Span(event.members_until)})
    else:
        note = DatedNote(NEW_EVENT, params)
    return notify.to_people(catalogs, await notify.members(session), note)


def calendar_file(event: Event, now: datetime) -> OutgoingFile:
    """The event's .ics; a cancelled event's file removes it from the calendar."""
    entry = entry_of(event)
    content = calendar.ics(entry, now, cancelled=event.status is EventStatus.CANCELLED)
    return OutgoingFile(name=calendar.file_name(entry), content=content)


# -- reminder kinds (register them in bot.reminders.kinds.reminder_kinds) ---------------------


def reminder_kinds() -> list[ReminderKind]:
    return [
        ReminderKind(REMINDER_KIND, N_("event reminder"), _render_reminder),
        ReminderKind(OFFER_KIND, N_("offer of a freed place at an event"), _render_offer),
        ReminderKind(LAPSE_KIND, N_("end of an offer of a place at an event"), _render_lapse),
    ]


async def _render_reminder(firing: Firing) -> Reply | None:
    """A day or an hour before; nothing if the event changed, was cancelled or they left."""
    signup = await stored.signup(firing.session, firing.reminder.payload["signup"])
    event = await stored.get(firing.session, signup.event_id) if signup else None
    if event is None or signup is None or signup.status is not SignupStatus.CONFIRMED:
        return None
    if event.status is not EventStatus.OPEN or event.sequence != firing.reminder.payload.get(
        "sequence"
    ):
        return None
    params = {"title": event.title, "when": span_of(event), "place": event.place}
    return Reply(DatedNote(REMINDER, params).render(firing.t))


async def _render_offer(firing: Firing) -> Reply | None:
    """An offer made by a lapse (the dispatch sends those made by a person's own action)."""
    signup = await stored.signup(firing.session, firing.reminder.payload["signup"])
    if signup is None or signup.status is not SignupStatus.OFFERED:
        return None
    event = await stored.get(firing.session, signup.event_id)
    person = await firing.session.get(Person, signup.person_id)
    if event is None or person is None:
        return None
    note, t = offer_note(Offer(event, signup, person)), firing.t
    rows = tuple((Button(t(label), data=data),) for label, data in note.buttons)
    return Reply(note.render(t), buttons=rows)


async def _render_lapse(firing: Firing) -> Reply | None:
    """The offer ran out: the place passes on, the next in line hears through `OFFER_KIND`."""
    answer = await lapse_offer(firing.session, firing.reminder.payload["signup"], firing.now)
    if answer is None:
        return None
    for offer in answer.offers:
        await _queue_offer(firing.session, offer, firing.now)
    return Reply(DatedNote(LAPSED, {"title": answer.event.title}).render(firing.t))


async def _queue_offer(session: AsyncSession, offer: Offer, now: datetime) -> None:
    signup = offer.signup
    await reminders.schedule(
        session,
        kind=OFFER_KIND,
        person_id=signup.person_id,
        due_at=now,
        expires_at=signup.offer_expires_at,
        dedup_key=f"{_offer_key(offer.event.id, signup.id)}tell:{now:%Y%m%d%H%M%S}",
        payload={"signup": signup.id},
        now=now,
    )
