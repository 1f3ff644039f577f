"""Events in chat, on SQLite and PostgreSQL: the form, the members-first window (art. 13(2)),
the waitlist, reminders, cancellation, attendance (art. 16(2)) and the capacity race."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
from icalendar import Calendar
from sqlalchemy import select

from bot.app import App
from bot.charter.events import EventFields
from bot.protocol import Incoming, Reply
from bot.reminders.kinds import reminder_kinds
from bot.reminders.sweep import ReminderRuntime, fire_due
from bot.services import events
from storage import people, units
from storage.events_models import EventSignup, SignupStatus
from storage.models import OutboxMessage, Participation, Reminder, ReminderStatus, UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import make_unit

MEMBER, OTHER, SUSPENDED, GUEST = 8001, 8002, 8003, 8004
START = datetime(
    2026, 12, 1, 1, 0, tzinfo=UTC
)  # 09:00 in Shanghai; the clock starts 6 days before
DEFAULTS = EventFields(
    title="有色金属数字化转型研讨会",
    description="",
    starts_at=START,
    ends_at=START + timedelta(hours=2, minutes=30),
    place="北京市海淀区",
    capacity=30,
    members_until=None,
    guests_allowed=True,
    per_unit=2,
)


async def make_event(app: App, **overrides: Any) -> int:
    async with app.sessions() as session, session.begin():
        fields = replace(DEFAULTS, **overrides)
        event = await events.create_event(session, fields, "Asia/Shanghai", None, app.clock.now())
        return event.id


async def add_units(app: App, *contacts: tuple[int, int, UnitStatus]) -> None:
    """Units by (serial, contact's Telegram id, status)."""
    async with app.sessions() as session, session.begin():
        for serial, telegram_id, status in contacts:
            await make_unit(session, app.clock.now(), serial, contact_telegram_id=telegram_id)
            unit = (await units.of_person(session, await _person_id(session, telegram_id)))[0]
            unit.status = status


async def _person_id(session: Any, telegram_id: int) -> int:
    person = await people.by_telegram_id(session, telegram_id)
    assert person is not None
    return person.id


async def statuses(app: App, event_id: int) -> dict[int, SignupStatus]:
    """Each signup's status, by the person's Telegram id."""
    async with app.sessions() as session:
        rows = await events.signup_rows(session, event_id, *SignupStatus)
        return {person.telegram_id: signup.status for signup, person, _ in rows}


async def fire_reminders(app: App) -> list[OutboxMessage]:
    """Runs the reminder sweep as the scheduler would; returns the outbox rows it queued."""
    kinds = {**reminder_kinds(), **{k.name: k for k in events.reminder_kinds()}}
    runtime = ReminderRuntime(app.sessions, app.catalogs, app.clock, app.settings, kinds)
    async with app.sessions() as session:
        before = await session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
    await fire_due(runtime)
    async with app.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.id > (before or 0))
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def pending_reminders(app: App) -> list[Reminder]:
    async with app.sessions() as session:
        query = select(Reminder).where(Reminder.status == ReminderStatus.PENDING)
        return list((await session.scalars(query.order_by(Reminder.due_at))).all())


def to(client: ChatClient, chat_id: int) -> list[Reply]:
    return [r for r in client.last.replies if r.chat_id == chat_id]


def vevent(content: bytes) -> Any:
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    return event


async def test_newevent_form_announces_and_the_signup_carries_a_calendar_file(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    admin, member = ChatClient(app, ADMIN_ID), ChatClient(app, MEMBER)
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER))
    await admin.send("/newevent")
    assert "What is the event called?" in admin.text
    await admin.send("有色金属数字化转型研讨会")
    await admin.press("No description")
    await admin.send("2026-12-01 9:00 - 2026-11-30 11:30")
    assert admin.text == "The event must end after it starts."
    await admin.send("2026-12-01 09:00 - 11:30")
    await admin.send("https://meeting.example.cn/j/123")
    await admin.send("0")
    assert "from 1 to 100000" in admin.text
    await admin.send("30")
    await admin.send("2026-12-02 18:00")
    assert admin.text == "The members-first window must end before the start."
    await admin.send("2026-11-28 18:00")
    await admin.press("Yes, guests too")
    await admin.press("2")
    assert "Please check the event" in admin.text and "Each unit may send up to 2." in admin.text
    await admin.press("Create")
    assert "announced to 1 member contact." in admin.text
    assert [r.chat_id for r in admin.last.replies if r.chat_id] == [MEMBER]

    await member.send("/events")
    assert "30 places free" in member.text
    await member.press("有色金属数字化转型研讨会")
    assert "When: Tue, Dec 1, 2026, 09:00 – 11:30" in member.text
    await member.press("Sign up")
    assert "You have a place" in member.text
    (reply,) = member.replies
    assert reply.file is not None and reply.file.name.endswith(".ics")
    entry = vevent(reply.file.content)
    assert entry["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert entry.decoded("DTSTART") == START and str(entry["URL"]).startswith("https://")

    # signing up twice is harmless
    await member.send("/events")
    await member.press("有色金属数字化转型研讨会")
    assert "You have a place." in member.text and "Sign up" not in member.labels
    await member.press_data(f"ev:in:{1}")
    assert "already signed up" in member.text
    assert list((await statuses(app, 1)).values()) == [SignupStatus.CONFIRMED]


async def test_guest_and_suspended_unit_refused_during_members_first_window(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER), (2, SUSPENDED, UnitStatus.SUSPENDED))
    window_ends = clock.now() + timedelta(days=3)
    open_later = await make_event(app, members_until=window_ends)
    members_only = await make_event(
        app, title="闭门会", members_until=window_ends, guests_allowed=False
    )
    guest, suspended, member = (ChatClient(app, i) for i in (GUEST, SUSPENDED, MEMBER))

    await guest.press_data(f"ev:in:{open_later}")
    assert guest.last.alert is not None and "Until Sat, Nov 28, 2026, 10:00" in guest.last.alert
    assert "art. 13(2)" in guest.last.alert
    await suspended.press_data(f"ev:in:{open_later}")  # told the real reason (art. 15(3))
    assert suspended.last.alert is not None and "suspended" in suspended.last.alert
    assert "as a guest from Sat, Nov 28, 2026, 10:00" in suspended.last.alert
    await member.press_data(f"ev:in:{open_later}")
    assert "You have a place" in member.text

    clock.advance(days=3, seconds=-1)
    await guest.press_data(f"ev:in:{open_later}")
    assert "Until Sat, Nov 28, 2026, 10:00" in (guest.last.alert or "")
    clock.advance(seconds=1)
    for client in (guest, suspended):
        await client.press_data(f"ev:in:{open_later}")
        assert "You have a place" in client.text
    await guest.press_data(f"ev:in:{members_only}")
    assert guest.last.alert == "This event is open to member units only."
    await suspended.press_data(f"ev:in:{members_only}")
    assert suspended.last.alert == (
        "Your unit's member rights are suspended (art. 15(3)), and this event is for member "
        "units only. Please ask the secretariat about it."
    )  # suspended by a status set directly: no decision on record to date it from
    assert set((await statuses(app, open_later)).values()) == {SignupStatus.CONFIRMED}
    assert await statuses(app, members_only) == {}


async def test_unit_limit_counts_backup_contacts(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER))
    async with app.sessions() as session, session.begin():
        backup = await people.ensure(session, OTHER, OTHER, clock.now())
        unit = (await units.of_person(session, await _person_id(session, MEMBER)))[0]
        await units.add_contact(session, unit.id, backup.id, "备用联系人", clock.now())
    event_id = await make_event(app, per_unit=1)
    first, second = ChatClient(app, MEMBER), ChatClient(app, OTHER)
    await first.press_data(f"ev:in:{event_id}")
    await second.press_data(f"ev:in:{event_id}")
    assert second.last.alert == "Your unit has reached this event's limit of people per unit (1)."
    await first.press_data(f"ev:out:{event_id}")
    await second.press_data(f"ev:in:{event_id}")
    assert "You have a place" in second.text


async def test_waitlist_promotion_on_cancel_and_lapse(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    ids = (MEMBER, OTHER, 8005, 8006)
    await add_units(app, *((n, i, UnitStatus.MEMBER) for n, i in enumerate(ids, 1)))
    event_id = await make_event(app, capacity=1)
    a, b, c, d = (ChatClient(app, i) for i in ids)
    await a.press_data(f"ev:in:{event_id}")
    for number, client in enumerate((b, c, d), 1):
        await client.press_data(f"ev:in:{event_id}")
        assert f"You are number {number} on the waitlist" in client.text

    # a cancels: the place is offered to b, who confirms and gets the calendar file
    await a.press_data(f"ev:out:{event_id}")
    (offer,) = to(a, OTHER)
    assert "held for you until" in offer.text
    b.receive(a.last)
    await b.press("Confirm my place")
    assert "You have a place" in b.text and b.replies[0].file is not None
    await b.press_data(b.button_data("Confirm my place"))
    assert b.last.alert == "This offer is no longer open."
    assert (await statuses(app, event_id))[OTHER] is SignupStatus.CONFIRMED

    # b cancels: c is offered the place but lets it lapse; it passes on to d
    await b.press_data(f"ev:out:{event_id}")
    assert [r.chat_id for r in b.last.replies if r.chat_id] == [8005]
    c.receive(b.last)
    clock.advance(hours=23, minutes=59)
    assert await fire_reminders(app) == []
    clock.advance(minutes=1)
    lapsed = await fire_reminders(app)
    assert [row.chat_id for row in lapsed] == [8005]
    assert "passed to the next person" in lapsed[0].text
    offered = await fire_reminders(app)  # the offer to d goes out on the next sweep
    assert [row.chat_id for row in offered] == [8006]
    assert ["Confirm my place", "Decline"] == [b["label"] for [b] in offered[0].buttons]
    now = await statuses(app, event_id)
    assert (now[8005], now[8006]) == (SignupStatus.LAPSED, SignupStatus.OFFERED)

    # c's old button no longer works; d declines, and nobody is left waiting
    await c.press("Confirm my place")
    assert c.last.alert == "This offer is no longer open."
    await d.press_data(offered[0].buttons[1][0]["data"])
    assert "declined" in d.text and d.last.replies == [d.replies[0]]
    assert await fire_reminders(app) == []


async def test_reminders_a_day_and_an_hour_before(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER))
    event_id = await make_event(app)
    member = ChatClient(app, MEMBER)
    await member.press_data(f"ev:in:{event_id}")
    due = [r.due_at for r in await pending_reminders(app)]
    assert due == [START - timedelta(days=1), START - timedelta(hours=1)]
    clock.moment = START - timedelta(days=1)
    (day_before,) = await fire_reminders(app)
    assert (
        day_before.chat_id == MEMBER and "Reminder: “有色金属数字化转型研讨会”" in day_before.text
    )
    clock.moment = START - timedelta(hours=1)
    (hour_before,) = await fire_reminders(app)
    assert "Tue, Dec 1, 2026, 09:00" in hour_before.text
    assert await fire_reminders(app) == []


async def test_event_cancelled_drops_reminders_and_tells_attendees(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER), (2, OTHER, UnitStatus.MEMBER))
    event_id = await make_event(app, capacity=1)
    admin, member, waiting = (
        ChatClient(app, ADMIN_ID),
        ChatClient(app, MEMBER),
        ChatClient(app, OTHER),
    )
    await member.press_data(f"ev:in:{event_id}")
    await waiting.press_data(f"ev:in:{event_id}")

    # moved an hour later: reminders follow, those signed up hear with a newer calendar file
    await admin.send("/events")
    await admin.press("有色金属数字化转型研讨会")
    await admin.press("Edit…")
    await admin.press("Time")
    await admin.send("2026-12-01 10:00 - 12:00")
    assert "Saved; 2 people signed up have been told." in admin.text
    moved = to(admin, MEMBER)[0]
    assert "It is now on Tue, Dec 1, 2026, 10:00 – 12:00" in moved.text
    assert moved.file is not None and vevent(moved.file.content)["SEQUENCE"] == 1
    assert to(admin, OTHER)[0].file is None  # no place, no calendar entry
    later = START + timedelta(hours=1)
    assert [r.due_at for r in await pending_reminders(app)] == [
        later - timedelta(days=1),
        later - timedelta(hours=1),
    ]

    await admin.send("/events")
    await admin.press("有色金属数字化转型研讨会")
    await admin.press("Cancel the event…")
    await admin.press("Yes, cancel the event")
    assert admin.text == "The event is cancelled; 2 people have been told."
    (told,) = to(admin, MEMBER)
    assert "has been cancelled" in told.text and told.file is not None
    assert Calendar.from_ical(told.file.content)["METHOD"] == "CANCEL"
    assert "has been cancelled" in to(admin, OTHER)[0].text
    assert await pending_reminders(app) == []
    clock.moment = later
    assert await fire_reminders(app) == []
    await member.send("/events")
    assert member.text == "No upcoming events."
    await member.press_data(f"ev:out:{event_id}")
    assert member.last.alert == "This event has been cancelled or closed."


async def test_attendance_by_code_and_list_counts_as_participation(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER), (2, OTHER, UnitStatus.MEMBER))
    event_id = await make_event(app)
    admin, member, other = (
        ChatClient(app, ADMIN_ID),
        ChatClient(app, MEMBER),
        ChatClient(app, OTHER),
    )
    guest = ChatClient(app, GUEST, name="访客")
    for client in (member, other, guest):
        await client.press_data(f"ev:in:{event_id}")
    await admin.press_data(f"evs:close:{event_id}")
    await admin.press("Yes, close it")
    assert admin.last.alert == "The event has not started yet."

    clock.moment = START - timedelta(minutes=30)
    await admin.press_data(f"evs:code:{event_id}")
    code = admin.text.split(": ")[1][:6]
    await member.press_data(f"ev:card:{event_id}")
    await member.press("Check in with a code")
    await member.send("000000" if code != "000000" else "111111")
    assert "not right" in member.text
    await member.send(code)
    assert member.text == "You are checked in. Welcome!"

    await admin.press_data(f"evs:att:{event_id}")
    assert "1 of 3 checked in" in admin.text
    await admin.press("⬜ 访客")
    assert "2 of 3 checked in" in admin.text and "✅ 访客" in admin.labels

    await admin.press_data(f"evs:xlsx:{event_id}")
    sheet = openpyxl.load_workbook(io.BytesIO(admin.replies[0].file.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Status", "Name", "Unit", "Signed up", "Checked in")
    assert len(rows) == 4 and sum(1 for row in rows[1:] if row[4]) == 2

    clock.moment = START + timedelta(hours=3)
    await admin.press_data(f"evs:close:{event_id}")
    await admin.press("Yes, close it")
    assert admin.text == "“有色金属数字化转型研讨会” is closed; 1 unit's attendance is recorded."
    async with app.sessions() as session:
        credited = (await session.scalars(select(Participation))).all()
    assert [(p.kind, p.on.isoformat(), p.ref) for p in credited] == [
        ("event", "2026-12-01", f"event:{event_id}")
    ]
    await other.press_data(f"ev:code:{event_id}")
    await other.send(code)
    assert other.text == "This event has been cancelled or closed."


async def test_capacity_race_gives_exactly_the_places_and_queues_the_rest(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    crowd = [9000 + n for n in range(24)]
    await add_units(app, *((n, i, UnitStatus.MEMBER) for n, i in enumerate(crowd, 1)))
    event_id = await make_event(app, capacity=5)

    def press(user: int, key: str) -> Any:
        sender = ChatClient(app, user).sender
        incoming = Incoming(key, sender, button=f"ev:in:{event_id}", message_id=1)
        return app.dispatcher.handle(incoming)

    presses = [press(user, f"race:{user}") for user in crowd]
    presses.append(press(crowd[0], "race:again"))  # a double press at the same moment
    outcomes = await asyncio.gather(*presses)

    assert all(outcome.alert is None for outcome in outcomes), [o.alert for o in outcomes]
    async with app.sessions() as session:
        query = select(EventSignup).where(EventSignup.event_id == event_id)
        signups = sorted((await session.scalars(query)).all(), key=lambda s: s.id)
    assert len(signups) == len(crowd)
    placed = [s for s in signups if s.status is SignupStatus.CONFIRMED]
    waiting = [s for s in signups if s.status is SignupStatus.WAITING]
    assert len(placed) == 5 and len(waiting) == len(crowd) - 5
    assert max(s.id for s in placed) < min(s.id for s in waiting)  # first come, first served
    texts = [o.replies[0].text for o in outcomes]
    assert sum("You have a place" in t for t in texts) == 5
    numbers = sorted(int(t.split("number ")[1].split()[0]) for t in texts if "waitlist" in t)
    assert numbers == list(range(1, len(crowd) - 5 + 1))  # each its own place in the queue
    assert sum("already signed up" in t for t in texts) == 1


async def test_forged_and_stale_buttons_are_refused(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER), (2, OTHER, UnitStatus.MEMBER))
    event_id = await make_event(app, capacity=1)
    member, other = ChatClient(app, MEMBER), ChatClient(app, OTHER)
    stale = "This button is no longer valid. Send /start to begin again."
    await member.press_data("ev:in:999")
    assert member.last.alert == "This event no longer exists."
    for data in ("ev:in", "ev:fly:1", f"evs:list:{event_id}", "evf:create", "evo:1:maybe"):
        await member.press_data(data)
        assert member.last.alert == stale, data
    await member.press_data(f"ev:in:{event_id}")
    await other.press_data(f"ev:in:{event_id}")
    await member.press_data(f"ev:out:{event_id}")
    async with app.sessions() as session:
        offered = await session.scalar(
            select(EventSignup.id).where(EventSignup.status == "offered")
        )
    await member.press_data(f"evo:{offered}:y")  # someone else's offer
    assert member.last.alert == stale
    assert (await statuses(app, event_id))[OTHER] is SignupStatus.OFFERED


async def test_signup_lists_export_as_csv(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER), (2, OTHER, UnitStatus.MEMBER))
    event_id = await make_event(app, capacity=1)
    for user in (MEMBER, OTHER):
        await ChatClient(app, user, name=f"用户{user}").press_data(f"ev:in:{event_id}")
    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data(f"evs:list:{event_id}")
    # the roster's names, with the Telegram names beside them (storage.names)
    assert "1. 联系人 1 (用户8001) — 测试单位 1 — has a place" in admin.text
    assert "2. 联系人 2 (用户8002) — 测试单位 2 — waiting" in admin.text
    await admin.press("Export CSV")
    (reply,) = admin.replies
    assert reply.protect and reply.file is not None and reply.file.name.endswith(".csv")
    lines = reply.file.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Status,Name,Unit,Signed up,Checked in"
    assert lines[1].startswith("has a place,联系人 1 (用户8001),测试单位 1,2026-11-25 10:00")
    assert lines[2].startswith("waiting,联系人 2 (用户8002)")
