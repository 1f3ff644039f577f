"""A seat holder's standing is the standing of the unit the seat is held for (art. 15, 16(5),
19; issue 17): the documents rule sees it at every read, and the watermark and /trace name
that unit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.charter.documents import Audience, Level, Reason
from bot.charter.membership import Discipline
from bot.i18n import Catalogs
from bot.services import membership, seats
from handlers.documents import refusal
from storage import people
from storage.documents_models import DocumentDelivery
from storage.models import Unit, UnitStatus, UnitTier
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_documents import add_document, pdf_text, the_one_reply
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import make_unit
from tests.unit.test_watermark import make_pdf

ZONE = ZoneInfo("Asia/Shanghai")
ENGLISH = Catalogs("zh_CN", "Asia/Shanghai").translator("en")
HOLDER, CONTACT_AND_HOLDER = 8301, 8302
PDF = ("纪要.pdf", make_pdf((595, 842)))


async def seat_two_units(app: App, clock: FakeClock) -> tuple[int, int]:
    """Deputy-director units 1 (seat: HOLDER) and 2 (seat: CONTACT_AND_HOLDER, who is also
    the contact of member unit 3)."""
    now = clock.now()
    async with app.sessions() as session, session.begin():
        ids = []
        for serial, holder in ((1, HOLDER), (2, CONTACT_AND_HOLDER)):
            unit = await make_unit(session, now, serial, tier=UnitTier.DEPUTY_DIRECTOR)
            _seat, person = await seats.add_seat(
                session, unit.id, holder, f"王强 {serial}", None, now, ZONE
            )
            person.language_code = "en"
            ids.append(unit.id)
        await make_unit(session, now, 3, contact_telegram_id=CONTACT_AND_HOLDER)
        return ids[0], ids[1]


async def suspend(app: App, clock: FakeClock, unit_id: int) -> None:
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        await membership.discipline(
            session, unit_id, Discipline.SUSPENSION, "test", admin.id, clock.now(), ZONE
        )


async def test_a_seat_of_a_suspended_unit_gets_no_confidential_document(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    first, _ = await seat_two_units(app, clock)
    leaders = await add_document(app, clock.now(), "纪要", Audience(Level.LEADERSHIP), file=PDF)
    members = await add_document(app, clock.now(), "通知", Audience(Level.MEMBERS), file=PDF)
    holder = ChatClient(app, HOLDER)
    await holder.press_data(f"dls:{leaders}")
    assert the_one_reply(holder).file is not None
    await suspend(app, clock, first)  # art. 15(3): the seat stays, its rights do not
    for document_id, level in ((leaders, Level.LEADERSHIP), (members, Level.MEMBERS)):
        await holder.press_data(f"dls:{document_id}")
        reply = the_one_reply(holder)
        assert reply.file is None and reply.text == refusal(ENGLISH, Reason.SUSPENDED, level)


async def test_a_seat_of_a_departed_unit_is_refused_even_while_its_row_stands(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    first, _ = await seat_two_units(app, clock)
    leaders = await add_document(app, clock.now(), "纪要", Audience(Level.LEADERSHIP), file=PDF)
    for status in (UnitStatus.EXPELLED, UnitStatus.WITHDRAWN):
        async with app.sessions() as session, session.begin():
            unit = await session.get(Unit, first)
            assert unit is not None
            unit.status = status  # the seat's row is not reconciled yet: the read decides
        holder = ChatClient(app, HOLDER)
        await holder.press_data(f"dls:{leaders}")
        reply = the_one_reply(holder)
        assert reply.file is None
        assert reply.text == refusal(ENGLISH, Reason.NOT_MEMBER, Level.LEADERSHIP)


async def test_each_role_is_judged_by_its_own_unit(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    _, second = await seat_two_units(app, clock)
    leaders = await add_document(app, clock.now(), "纪要", Audience(Level.LEADERSHIP), file=PDF)
    members = await add_document(app, clock.now(), "通知", Audience(Level.MEMBERS), file=PDF)
    await suspend(app, clock, second)  # the seat's unit; the contact's unit is a member
    both = ChatClient(app, CONTACT_AND_HOLDER)
    await both.press_data(f"dls:{members}")
    assert the_one_reply(both).file is not None  # as the contact of a member unit
    await both.press_data(f"dls:{leaders}")
    reply = the_one_reply(both)
    assert reply.file is None and reply.text == (
        "You may not receive this document: it is only for the members of the joint directors' "
        "meeting, and your unit's rights as a member unit are suspended (charter art. 15(3))."
    )


async def test_the_watermark_and_trace_name_the_seat_holders_unit(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_two_units(app, clock)
    leaders = await add_document(app, clock.now(), "纪要", Audience(Level.LEADERSHIP), file=PDF)
    holder = ChatClient(app, HOLDER)
    await holder.press_data(f"dls:{leaders}")
    reply = the_one_reply(holder)
    assert reply.file is not None
    async with app.sessions() as session:
        entry = (await session.scalars(select(DocumentDelivery))).one()
    # the seat's name as recorded, with the Telegram name beside it (storage.names)
    assert (entry.unit_name, entry.person_name) == ("测试单位 1", "王强 1 (Test User)")
    stamp = (
        f"测试单位 1 · 王强 1 (Test User) · 2026-11-25 10:00 UTC+0800 · trace code "
        f"{entry.trace_code}"
    )
    assert all(stamp in page for page in pdf_text(reply.file.content or b""))
    admin = ChatClient(app, ADMIN_ID)
    await admin.send(f"/trace {entry.trace_code}")
    assert (
        "纪要, version 1, sent on Wed, Nov 25, 2026, 10:00 to 王强 1 (Test User) of 测试单位 1"
        in (admin.text)
    )
