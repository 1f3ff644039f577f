"""A member unit's life in chat: suspension, reinstatement, withdrawal, inactivity."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from bot.app import App
from bot.errors import DomainError
from bot.reminders.kinds import reminder_kinds
from bot.reminders.sweep import ReminderRuntime, fire_due
from bot.services import contacts
from bot.services.announcements import daily_membership
from storage import units
from storage.models import OutboxMessage, UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_join import APPLICANT, fill_form
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import credit_code, make_unit

ZONE = ZoneInfo("Asia/Shanghai")
LEADER = 7001
MEMBER = 7002


async def status_of(app: App, code: str) -> UnitStatus:
    async with app.sessions() as session:
        unit = await units.by_credit_code(session, code)
        assert unit is not None
        return unit.status


async def run_daily(app: App) -> list:
    async with app.sessions() as session, session.begin():
        return await daily_membership(session, app.catalogs, app.clock.now(), ZONE)


def sent_to(client: ChatClient, chat_id: int) -> list[str]:
    return [r.text for r in client.last.replies if r.chat_id == chat_id]


async def test_guest_to_withdrawn(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    admin, contact = ChatClient(app, ADMIN_ID), ChatClient(app, APPLICANT)
    await admin.send(f"/grant {LEADER} leadership")
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 90, contact_telegram_id=MEMBER)
    code = credit_code(20)

    await contact.send("/profile")
    assert contact.text == "The command /profile is not available to you."
    await fill_form(contact, code)
    await contact.press("Submit")
    await admin.send("/review")
    await admin.press("Approve")
    assert any(
        "新成员单位：有色金属示范企业" in t for t in sent_to(admin, MEMBER)
    )  # zh by default
    await contact.send("/profile")
    assert "Status: member" in contact.text

    # suspended (art. 15(3)): the unit is told, leadership notified, rights gone
    await admin.send(f"/discipline {code}")
    await admin.press("有色金属示范企业")
    await admin.press("suspension of rights")
    await admin.send("未按要求履行义务")
    await admin.press("Confirm")
    assert await status_of(app, code) is UnitStatus.SUSPENDED
    assert any("未按要求履行义务" in t for t in sent_to(admin, APPLICANT))
    assert any("报主任联席会备案" in t for t in sent_to(admin, LEADER))
    await contact.send("/project")
    assert contact.text == "Only a member unit whose rights are active can file a project."
    await contact.send("/withdraw")
    assert "good standing" in contact.text

    # reinstated
    await admin.send(f"/roster {code}")
    await admin.press("有色金属示范企业")
    await admin.press("Lift the suspension")
    assert await status_of(app, code) is UnitStatus.MEMBER

    # withdrawing (art. 16(1)), taken back, given again, and effective 30 days later
    await contact.send("/withdraw")
    await contact.press("Yes, give notice")
    assert "leaves the center on Fri, Dec 25, 2026." in contact.text
    assert await status_of(app, code) is UnitStatus.WITHDRAWING
    await contact.send("/withdraw")
    await contact.press("Take the notice back")
    assert await status_of(app, code) is UnitStatus.MEMBER
    await contact.send("/withdraw")
    await contact.press("Yes, give notice")
    clock.advance(days=29)
    assert await run_daily(app) == []
    assert await status_of(app, code) is UnitStatus.WITHDRAWING
    clock.advance(days=1)
    notices = await run_daily(app)
    assert await status_of(app, code) is UnitStatus.WITHDRAWN
    assert {r.chat_id for r in notices} >= {APPLICANT, MEMBER, LEADER}

    # rights end at once (art. 16(5)); no rejoining (art. 16(6))
    await contact.send("/profile")
    assert contact.text == "The command /profile is not available to you."
    await contact.send("/join")
    await contact.press("I agree")
    await contact.send("有色金属示范企业")
    await contact.send(code)
    assert "article 16(6)" in contact.text


async def test_expulsion_and_public_criticism(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 30, contact_telegram_id=MEMBER)
        await make_unit(session, clock.now(), 31, contact_telegram_id=MEMBER + 1)
    await admin.send(f"/discipline {credit_code(30)}")
    await admin.press("测试单位 30")
    await admin.press("public criticism")
    await admin.send("泄露未公开文件")
    await admin.press("Confirm")
    assert any("通报批评" in t for t in sent_to(admin, MEMBER + 1))
    assert await status_of(app, credit_code(30)) is UnitStatus.MEMBER

    await admin.send(f"/discipline {credit_code(30)}")
    await admin.press("测试单位 30")
    await admin.press("expulsion")
    await admin.send("屡教不改")
    await admin.press("Confirm")
    assert await status_of(app, credit_code(30)) is UnitStatus.EXPELLED
    assert MEMBER in admin.last.menus
    assert "profile" not in [c.command for c in admin.last.menus[MEMBER]]


async def test_licence_revoked_ends_membership_at_once(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 40, contact_telegram_id=MEMBER)
    await admin.send(f"/roster {credit_code(40)}")
    await admin.press("测试单位 40")
    await admin.press("Licence revoked…")
    await admin.press("Yes, record it")
    assert await status_of(app, credit_code(40)) is UnitStatus.WITHDRAWN
    await admin.press_data(admin.button_data("Yes, record it"))
    assert admin.last.alert == "This unit is no longer a member."


async def test_inactivity_warns_then_withdraws(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 50, contact_telegram_id=MEMBER)
        await make_unit(session, clock.now(), 51, contact_telegram_id=MEMBER + 1)
    contact = ChatClient(app, MEMBER + 1)
    clock.advance(days=365)
    await contact.send("/project")  # a filed project is participation (art. 16(2))
    for answer in ("数字化改造", "某冶炼厂", "MES 实施", "2027-12-01"):
        await contact.send(answer)
    assert contact.text == "Filed. The secretariat will acknowledge it."

    clock.moment = clock.moment.replace(year=2028, month=9, day=25)  # 61 days before 2 years
    assert [r for r in await run_daily(app) if r.chat_id == MEMBER] == []
    clock.advance(days=1)
    warned = await run_daily(app)
    assert any(r.chat_id == MEMBER and "第十六条第二项" in r.text for r in warned)
    assert not any(r.chat_id == MEMBER + 1 for r in warned)
    assert [r for r in await run_daily(app) if r.chat_id == MEMBER] == []  # warned once
    clock.moment = clock.moment.replace(month=11, day=25)
    await run_daily(app)
    assert await status_of(app, credit_code(50)) is UnitStatus.WITHDRAWN
    assert await status_of(app, credit_code(51)) is UnitStatus.MEMBER


async def test_roster_search_tier_and_export(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 60, contact_telegram_id=MEMBER)
        await make_unit(session, clock.now(), 61, sub_sectors=("mining",))
    await admin.send("/roster sector:mining")
    assert "1 unit found." in admin.text and "测试单位 61" in admin.text
    await admin.press("测试单位 61")
    await admin.press("Change tier to director unit")
    assert "Tier: director unit (since Wed, Nov 25, 2026)" in admin.text
    assert any("现为主任单位" in t for t in sent_to(admin, MEMBER))
    await admin.send("/roster")
    await admin.press("Export XLSX")
    sheet = openpyxl.load_workbook(io.BytesIO(admin.replies[0].file.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Unit", "Credit code")
    assert {r[1] for r in rows[1:]} == {credit_code(60), credit_code(61)}
    assert [r[6] for r in rows if r[1] == credit_code(61)] == ["director unit"]
    await admin.press("Export CSV")
    csv_text = admin.replies[0].file.content.decode("utf-8-sig")
    assert credit_code(60) in csv_text and "测试单位 60" in csv_text


async def test_backup_contact_by_invitation(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app(bot_username="dtpc_bot")
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 70, contact_telegram_id=MEMBER)
    main, backup = ChatClient(app, MEMBER), ChatClient(app, MEMBER + 5)
    await main.send("/profile")
    await main.press("Invite a backup contact")
    link = main.text.split()[-1]
    assert link.startswith("https://t.me/dtpc_bot?start=ct_")
    payload = link.split("start=")[1]
    await backup.send(f"/start {payload}")
    assert "You are now a backup contact of 测试单位 70" in backup.text
    assert "profile" in [c.command for c in backup.last.menus[MEMBER + 5]]
    other = ChatClient(app, MEMBER + 6)
    await other.send(f"/start {payload}")
    assert "not valid" in other.text
    clock.advance(days=15)
    await main.press("Invite a backup contact")
    stale = main.text.split("start=")[1]
    clock.advance(days=15)
    await other.send(f"/start {stale}")
    assert "not valid" in other.text
    await other.send("/profile")
    assert other.text == "The command /profile is not available to you."

    admin = ChatClient(app, ADMIN_ID)  # the secretariat replaces the main contact
    await admin.send(f"/roster {credit_code(70)}")
    await admin.press("测试单位 70")
    await admin.press("Make Test User the main contact")  # the backup's Telegram name
    assert "• Test User (main contact)" in admin.text
    await admin.press("Remove 联系人 70")
    assert "联系人 70" not in admin.text
    await main.send("/profile")
    assert main.text == "The command /profile is not available to you."
    async with app.sessions() as session:
        (last,) = await units.contacts_of(session, 1)
    with pytest.raises(DomainError, match="always have a contact"):
        async with app.sessions() as session, session.begin():
            await contacts.remove_contact(session, last.id, 1, clock.now())  # art. 14(8)


async def test_audit_shows_the_units_history(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 80)
    await admin.send(f"/roster {credit_code(80)}")
    await admin.press("测试单位 80")
    await admin.press("Change tier to deputy-director unit")
    await admin.send(f"/audit {credit_code(80)}")
    assert "unit.tier" in admin.text and "after=deputy_director" in admin.text


async def fire_reminders(app: App) -> list[str]:
    """Runs the reminder sweep once; returns the texts it queued in the outbox."""
    runtime = ReminderRuntime(
        app.sessions, app.catalogs, app.clock, app.settings, reminder_kinds()
    )
    async with app.sessions() as session:
        before = {row.id for row in await session.scalars(select(OutboxMessage))}
    await fire_due(runtime)
    async with app.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [row.text for row in rows if row.id not in before]


async def test_reminded_a_week_before_the_withdrawal_takes_effect(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 95, contact_telegram_id=MEMBER)
        await make_unit(session, clock.now(), 96, contact_telegram_id=MEMBER + 1)
    leaving, staying = ChatClient(app, MEMBER), ChatClient(app, MEMBER + 1)
    for client in (leaving, staying):
        await client.send("/withdraw")
        await client.press("Yes, give notice")
    await staying.send("/withdraw")
    await staying.press("Take the notice back")
    clock.advance(days=22)
    assert await fire_reminders(app) == []
    clock.advance(days=1)
    assert await fire_reminders(app) == [
        "测试单位 95 leaves the center on Fri, Dec 25, 2026. "
        "To stay, take the notice back with /withdraw."  # the contact writes in English
    ]
    assert await fire_reminders(app) == []  # once
