"""Notices follow the reader's standing at every read (art. 15(3), 16(5); issue 17): a contact
of an expelled unit, or the seat holder of a suspended one, no longer reads what was sent to
them as a member — neither in /notices, nor by the button that reopens a notice."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.app import App
from bot.charter.membership import Discipline
from bot.services import membership, seats
from storage import people
from storage.models import Unit, UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_notices import A, B, fill_form, seed, the_notice
from tests.support.chat import ChatClient

ZONE = ZoneInfo("Asia/Shanghai")
HOLDER = 7120  # holds a seat for unit A, a director unit
NONE_FOR_YOU = "There are no recent notices for you."
NOT_FOR_YOU = "This notice is not addressed to you."


async def discipline(app: App, unit_id: int, measure: Discipline) -> None:
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        await membership.discipline(
            session, unit_id, measure, "test", admin.id, app.clock.now(), ZONE
        )


async def send_notice(app: App, audience: str) -> int:
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, text="年度工作会议通知", audience=audience)
    await admin.press("Confirm and send")
    return (await the_notice(app)).id


async def reads(app: App, telegram_id: int, notice_id: int) -> tuple[bool, bool]:
    """Whether /notices lists the notice, and whether its reopen button shows it."""
    reader = ChatClient(app, telegram_id)
    await reader.send("/notices")
    listed = "年度工作会议通知" in reader.text
    if not listed:
        assert reader.text == NONE_FOR_YOU
    outcome = await reader.press_data(f"nopen:{notice_id}")
    if outcome.alert is not None:
        assert outcome.alert == NOT_FOR_YOU
    return listed, outcome.alert is None


async def test_an_expelled_contact_reads_no_member_notice(make_app: MakeApp) -> None:
    app = await make_app()
    ids = await seed(app)
    notice_id = await send_notice(app, "All member units")
    assert await reads(app, B, notice_id) == (True, True)
    await discipline(app, ids["B"], Discipline.EXPULSION)
    assert await reads(app, B, notice_id) == (False, False)
    assert await reads(app, A, notice_id) == (True, True)


async def test_a_contact_still_bound_to_an_expelled_unit_reads_none_either(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    ids = await seed(app)
    notice_id = await send_notice(app, "All member units")
    async with app.sessions() as session, session.begin():
        unit = await session.get(Unit, ids["B"])
        assert unit is not None
        unit.status = UnitStatus.EXPELLED  # the contact stays bound: the read decides
    assert await reads(app, B, notice_id) == (False, False)


async def test_the_seat_holder_of_a_suspended_unit_reads_no_leadership_notice(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    ids = await seed(app)
    async with app.sessions() as session, session.begin():
        await seats.add_seat(session, ids["A"], HOLDER, "王强", None, app.clock.now(), ZONE)
    notice_id = await send_notice(app, "Joint directors' meeting")
    assert await reads(app, HOLDER, notice_id) == (True, True)
    await discipline(app, ids["A"], Discipline.SUSPENSION)
    assert await reads(app, HOLDER, notice_id) == (False, False)
