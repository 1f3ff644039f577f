"""Events as people read them (issue 20): the roster's names on the secretariat's lists and
exports, the card's word on guests, dates with their weekday, and refusals that say why — a
suspended unit's contact told since when, and whom to ask."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.app import App
from bot.charter.membership import Discipline
from bot.services import membership
from storage import people, units
from storage.models import Contact, UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_events import make_event
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import make_unit

ZONE = ZoneInfo("Asia/Shanghai")
NICKNAMED, SAME, GUEST, SUSPENDED = 8101, 8102, 8103, 8104
ZH = "zh-hans"


async def add_contact_units(app: App) -> None:
    """Unit 1's contact is 王建国 on the roster, "建国" in Telegram; unit 2's 李娜 in both."""
    async with app.sessions() as session, session.begin():
        for serial, telegram_id, name in ((1, NICKNAMED, "王建国"), (2, SAME, "李娜")):
            await make_unit(session, app.clock.now(), serial, contact_telegram_id=telegram_id)
            person = await people.by_telegram_id(session, telegram_id)
            assert person is not None
            contact = await session.get(Contact, (await units.of_person(session, person.id))[1].id)
            assert contact is not None
            contact.name = name


async def test_signup_list_attendance_and_exports_name_people_as_on_the_roster(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await add_contact_units(app)
    event_id = await make_event(app, capacity=2)
    for telegram_id, shown in ((NICKNAMED, "建国"), (SAME, "李娜"), (GUEST, "Jing C.")):
        await ChatClient(app, telegram_id, name=shown).press_data(f"ev:in:{event_id}")
    admin = ChatClient(app, ADMIN_ID)

    await admin.press_data(f"evs:list:{event_id}")
    assert admin.text.splitlines()[1:] == [
        "1. 王建国 (建国) — 测试单位 1 — has a place",
        "2. 李娜 — 测试单位 2 — has a place",
        "3. Jing C. — — — waiting",  # not on the roster: the Telegram name
    ]
    await admin.press("Export CSV")
    (reply,) = admin.replies
    rows = reply.file.content.decode("utf-8-sig").splitlines()
    assert [row.split(",")[1] for row in rows] == ["Name", "王建国 (建国)", "李娜", "Jing C."]
    await admin.press_data(f"evs:list:{event_id}")
    await admin.press("Export XLSX")
    (reply,) = admin.replies
    sheet = openpyxl.load_workbook(io.BytesIO(reply.file.content)).active
    assert [row[1] for row in sheet.iter_rows(values_only=True)] == [
        "Name",
        "王建国 (建国)",
        "李娜",
        "Jing C.",
    ]

    await admin.press_data(f"evs:att:{event_id}")
    assert admin.labels == ["⬜ 王建国 (建国)", "⬜ 李娜"]


async def card(app: App, language: str | None, **fields: object) -> list[str]:
    event_id = await make_event(app, **fields)
    reader = ChatClient(app, GUEST, language_code=language)
    await reader.press_data(f"ev:card:{event_id}")
    return reader.text.splitlines()


@pytest.mark.parametrize(
    ("language", "window", "guests", "line"),
    [
        ("en", False, True, "Guests may sign up too."),
        (ZH, False, True, "非成员也可报名。"),
        ("en", True, True, "Guests may sign up from Sat, Nov 28, 2026, 10:00."),
        (ZH, True, True, "非成员可于2026年11月28日周六 10:00起报名。"),
        ("en", True, False, "Member units only."),
        (ZH, False, False, "仅限成员单位参加。"),
    ],
)
async def test_the_card_says_when_guests_may_sign_up(
    make_app: MakeApp, clock: FakeClock, language: str, window: bool, guests: bool, line: str
) -> None:
    """No "after that" where there is no members-first window for "that" to be."""
    app = await make_app()
    until = clock.now() + timedelta(days=3) if window else None
    lines = await card(app, language, members_until=until, guests_allowed=guests)
    assert line in lines
    assert not any("after that" in shown or "此后" in shown for shown in lines)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "When: Tue, Dec 1, 2026, 09:00 – 11:30"),
        (ZH, "时间：2026年12月1日周二 09:00 – 11:30"),
    ],
)
async def test_the_card_dates_read_with_the_weekday_and_24_hours(
    make_app: MakeApp, language: str, expected: str
) -> None:
    app = await make_app()
    assert expected in await card(app, language)


async def test_the_form_asks_about_guests_after_a_window_only_when_there_is_one(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    for window, question in (
        (None, "May people of no member unit (guests) sign up too?"),
        ("2026-11-28 18:00", "After the members-first window, may people of no member unit "
                             "(guests) sign up too?"),
    ):  # fmt: skip
        await admin.send("/newevent")
        for answer in ("研讨会", "-", "2026-12-01 09:00 - 11:30", "北京", "30"):
            await admin.send(answer)
        if window is None:
            await admin.press("No members-first window")
        else:
            await admin.send(window)
        assert admin.text == question
        await admin.send("/cancel")


GUEST_REFUSAL = {
    "en": "Until Sat, Nov 28, 2026, 10:00, only member units may sign up for this event: they "
    "have priority (charter art. 13(2)). Guests may sign up from then.",
    ZH: "2026年11月28日周六 10:00前，本活动仅限成员单位报名（成员单位优先参加，章程第十三条"
    "第二项）；非成员可于此后报名。",
}
SUSPENDED_UNTIL = {
    "en": "Your unit's member rights have been suspended since Fri, Nov 20, 2026 (art. 15(3)); "
    "you may sign up as a guest from Sat, Nov 28, 2026, 10:00. Please ask the secretariat "
    "about it.",
    ZH: "贵单位自2026年11月20日周五起被暂停行使成员单位权利（章程第十五条第三项），您可于"
    "2026年11月28日周六 10:00起以非成员身份报名。如有疑问，请联系秘书处。",
}
SUSPENDED_MEMBERS_ONLY = {
    "en": "Your unit's member rights have been suspended since Fri, Nov 20, 2026 (art. 15(3)), "
    "and this event is for member units only. Please ask the secretariat about it.",
    ZH: "贵单位自2026年11月20日周五起被暂停行使成员单位权利（章程第十五条第三项），而本活动"
    "仅限成员单位参加。如有疑问，请联系秘书处。",
}
MEMBERS_ONLY = {
    "en": "Your unit's rights as a member unit have been suspended since Fri, Nov 20, 2026 "
    "(charter art. 15(3)), and this event is open to member units only. To ask about the "
    "suspension, please contact the secretariat.",
    ZH: "贵单位自2026年11月20日周五起被暂停行使成员单位权利（章程第十五条第三项），而本活动"
    "仅限成员单位参加。如对暂停有疑问，请联系秘书处。",
}
MEMBERS_ONLY = {"en": "This event is open to member units only.", ZH: "本活动仅限成员单位参加。"}
ALERT_LIMIT = 200  # characters Telegram shows in the alert answering a button


def refused(client: ChatClient) -> str:
    """The refusal on the button, which must fit Telegram's alert."""
    alert = client.last.alert
    assert alert is not None and len(alert) <= ALERT_LIMIT, alert
    return alert


async def suspend_five_days_ago(app: App, clock: FakeClock) -> None:
    """Unit 4 is suspended by the secretariat on Nov 20 (art. 15(3))."""
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, clock.now(), 4, contact_telegram_id=SUSPENDED)
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        decided = clock.now() - timedelta(days=5)
        await membership.discipline(
            session, unit.id, Discipline.SUSPENSION, "未按时报送材料", admin.id, decided, ZONE
        )


@pytest.mark.parametrize("language", ["en", ZH])
async def test_refusals_say_why_and_a_suspended_unit_since_when(
    make_app: MakeApp, clock: FakeClock, language: str
) -> None:
    app = await make_app()
    await suspend_five_days_ago(app, clock)
    window = clock.now() + timedelta(days=3)
    open_later = await make_event(app, members_until=window)
    members_only = await make_event(app, members_until=window, guests_allowed=False)
    guest = ChatClient(app, GUEST, language_code=language)
    suspended = ChatClient(app, SUSPENDED, language_code=language)

    await guest.press_data(f"ev:in:{open_later}")
    assert refused(guest) == GUEST_REFUSAL[language]
    await guest.press_data(f"ev:in:{members_only}")  # never open to guests: no "from then"
    assert refused(guest) == MEMBERS_ONLY[language]
    await suspended.press_data(f"ev:in:{open_later}")
    assert refused(suspended) == SUSPENDED_UNTIL[language]
    await suspended.press_data(f"ev:in:{members_only}")
    assert refused(suspended) == SUSPENDED_MEMBERS_ONLY[language]

    clock.advance(days=3)  # the window is over: they may sign up as guests
    await suspended.press_data(f"ev:in:{open_later}")
    assert suspended.last.alert is None and suspended.replies[0].file is not None
    await suspended.press_data(f"ev:in:{members_only}")
    assert refused(suspended) == SUSPENDED_MEMBERS_ONLY[language]


async def test_a_suspension_with_no_record_is_still_named(make_app: MakeApp) -> None:
    """A unit imported as suspended has no decision to date it from: the refusal says so
    without a date."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(
            session, app.clock.now(), 5, contact_telegram_id=SUSPENDED,
            status=UnitStatus.SUSPENDED,
        )  # fmt: skip
    event_id = await make_event(app, guests_allowed=False)
    suspended = ChatClient(app, SUSPENDED)
    await suspended.press_data(f"ev:in:{event_id}")
    assert refused(suspended) == (
        "Your unit's member rights are suspended (art. 15(3)), and this event is for member "
        "units only. Please ask the secretariat about it."
    )
