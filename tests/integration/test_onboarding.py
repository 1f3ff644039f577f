"""Onboarding through the dispatch: /import with a report and a confirmation, idempotent
re-import, and invitation links bound once, refused when used, expired or withdrawn."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.services import imports, roster_template
from bot.services.roster_rows import RosterPerson, RosterRow
from storage import people
from storage.meetings_models import Seat
from storage.models import AuditEntry, Contact, Role, Unit, UnitTier
from storage.onboarding_models import Invitation, InvitationKind
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import credit_code

HEADER = ["单位名称", "统一社会信用代码", "单位类型", "细分领域", "所在地区", "成员级别"]
HEADER += ["联系人", "联系电话", "电子邮箱", "主任联席会人选", "专家委员会委员"]
GOOD = ["北方铝业", credit_code(101), "企业", "冶炼", "内蒙古", "主任单位", "张三"]
GOOD += ["13800138000", "zs@example.cn", "李四, 13900139000; 王五, ww@example.cn", "赵六"]
BAD = ["坏行单位", credit_code(102)[:-1] + "Z", "企业", "冶炼", "北京", "", "钱七"]
BAD += ["13800138001", "not-an-email", "", ""]
OTHER = ["南方铜业", credit_code(103), "科研院所", "采选、加工", "江西", "", "孙八"]
OTHER += ["010-12345678", "sb@example.cn", "", ""]


def roster(*rows: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8-sig")


async def count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def links(app: App) -> dict[tuple[str, str], str]:
    """(kind, name) -> the deep-link payload, as /invites would hand them out."""
    async with app.sessions() as session:
        found = (await session.scalars(select(Invitation))).all()
    return {(i.kind.value, i.name): f"iv_{i.token}" for i in found}


async def import_file(admin: ChatClient, content: bytes, name: str = "roster.csv") -> str:
    await admin.send("/import")
    await admin.send_file(name, content)
    return admin.text


async def test_import_reports_good_and_bad_rows_and_writes_only_on_confirm(
    make_app: MakeApp,
) -> None:
    app = await make_app(bot_username="dtpc_bot")
    admin = ChatClient(app, ADMIN_ID)
    preview = await import_file(admin, roster(GOOD, BAD, OTHER))
    assert "2 rows accepted (2 new units, 0 updated, 0 unchanged), 1 refused" in preview
    assert "✗ row 3, 坏行单位:" in preview
    assert "E-mail: That does not look like an e-mail address" in preview
    assert "Credit code:" in preview
    assert await count(app, Unit) == 0 and await count(app, Invitation) == 0  # nothing yet

    await admin.press("Import the 2 accepted rows")
    assert "Imported: 2 new units, 0 updated; 5 invitation links made." in admin.text
    assert await count(app, Unit) == 2
    assert await count(app, Unit, Unit.name == "坏行单位") == 0
    assert await count(app, Invitation, Invitation.kind == InvitationKind.SEAT) == 2
    assert await count(app, Invitation, Invitation.kind == InvitationKind.EXPERT) == 1
    assert await count(app, Contact, Contact.person_id.is_(None)) == 2
    assert await count(app, AuditEntry, AuditEntry.action == "import.unit_add") == 2
    async with app.sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.name == "北方铝业"))
    assert unit.tier is UnitTier.DIRECTOR and unit.joined_on == app.clock.now().date()


async def test_a_failing_apply_leaves_nothing_half_written(make_app: MakeApp) -> None:
    app = await make_app()
    row = RosterRow(
        2,
        "甲",
        credit_code(7),
        "enterprise",
        ("other",),
        "北京",
        UnitTier.MEMBER,
        RosterPerson("甲联系人", "13800138000", "a@example.cn"),
    )
    plan = imports.Plan("twice.csv", new=[imports.UnitPlan(row, None)] * 2)
    with pytest.raises(IntegrityError):  # the second unit repeats the credit code
        async with app.sessions() as session, session.begin():
            await imports.apply(
                session, plan, None, app.clock.now(), timedelta(days=30), ZoneInfo("UTC")
            )
    assert await count(app, Unit) == 0 and await count(app, Invitation) == 0
    assert await count(app, AuditEntry, AuditEntry.action != "role.grant") == 0


async def test_reimport_changes_nothing_then_updates_what_changed(make_app: MakeApp) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    await import_file(admin, roster(GOOD, OTHER))
    await admin.press("Import")
    before = (await count(app, Invitation), await count(app, AuditEntry), await links(app))

    again = await import_file(admin, roster(GOOD, OTHER))
    assert "0 new units, 0 updated, 2 unchanged" in again
    assert "would change nothing" in again and admin.replies[-1].buttons == ()
    assert (await count(app, Invitation), await count(app, AuditEntry), await links(app)) == before

    changed = [
        *OTHER[:4],
        "江西赣州",
        "副主任单位",
        "孙八",
        "13700137000",
        *OTHER[8:9],
        "周九",
        "",
    ]
    preview = await import_file(admin, roster(GOOD, changed))
    assert "1 updated, 1 unchanged" in preview
    assert "Region: 江西 → 江西赣州" in preview
    assert "Tier: member unit → deputy-director unit" in preview
    assert "Phone: 01012345678 → 13700137000" in preview
    assert "Seat holders: + 周九" in preview
    await admin.press("Import")
    assert "0 new units, 1 updated; 1 invitation links made." in admin.text
    async with app.sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.name == "南方铜业"))
        contact = await session.scalar(select(Contact).where(Contact.unit_id == unit.id))
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "import.unit_update")
        )
    assert (unit.region, unit.tier, contact.phone) == (
        "江西赣州",
        UnitTier.DEPUTY_DIRECTOR,
        "13700137000",
    )
    assert ["region", "江西", "江西赣州"] in entry.details["changes"]


async def test_invitation_bound_once_then_refused_used_expired_withdrawn(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_username="dtpc_bot")
    admin = ChatClient(app, ADMIN_ID)
    await import_file(admin, roster(GOOD, OTHER))
    await admin.press("Import")
    payloads = await links(app)
    assert all(len(p) <= 64 for p in payloads.values())

    zhang, stranger = ChatClient(app, 8101), ChatClient(app, 8102)
    opened = await zhang.send(f"/start {payloads['contact', '张三']}")
    assert "You are now a contact person of 北方铝业" in zhang.text
    assert any(c.command == "profile" for c in opened.menus[8101])
    # the secretariat's note is gathered for a minute (tests/integration/test_secretariat_notes)
    await zhang.send("/profile")
    assert "张三 (main contact)" in zhang.text

    await stranger.send(f"/start {payloads['contact', '张三']}")
    assert "already been used" in stranger.text
    await stranger.press("Ask the secretariat for a new link")
    assert "sent to the secretariat" in stranger.text
    assert any("asks for a new invitation link for 张三" in r.text for r in stranger.last.replies)

    li = ChatClient(app, 8103)
    await li.send(f"/start {payloads['seat', '李四']}")
    assert "seat of 北方铝业 on the joint directors' meeting" in li.text
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, 8103)
        assert Role.LEADERSHIP in await people.roles_of(session, person.id)
        assert (
            await session.scalar(select(Seat).where(Seat.person_id == person.id))
        ).name == "李四"

    # withdrawn by the secretariat, then a new link works
    await admin.send("/invites 孙八")
    assert "Invitations: 3 waiting, 2 accepted, 0 expired, 0 withdrawn." in admin.text
    await admin.press("孙八 (contact person) — 南方铜业")
    await admin.press("Withdraw the link")
    sun = ChatClient(app, 8104)
    await sun.send(f"/start {payloads['contact', '孙八']}")
    assert "withdrawn by the secretariat" in sun.text
    await admin.press("Make a new link")
    fresh = (await links(app))["contact", "孙八"]
    assert fresh != payloads["contact", "孙八"] and fresh in admin.text
    await sun.send(f"/start {payloads['contact', '孙八']}")
    assert "This invitation link is not valid." in sun.text  # the old token is gone

    # expired after the set validity
    clock.advance(days=30, seconds=1)
    await sun.send(f"/start {fresh}")
    assert "has expired" in sun.text
    wang = ChatClient(app, 8105)
    await wang.send(f"/start {payloads['seat', '王五']}")
    assert "has expired" in wang.text
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, 8105)
        assert await people.roles_of(session, person.id) == frozenset({Role.GUEST})


async def test_export_and_forward_links(make_app: MakeApp) -> None:
    app = await make_app(bot_username="dtpc_bot")
    admin = ChatClient(app, ADMIN_ID)
    await import_file(admin, roster(GOOD))
    await admin.press("Import")
    await admin.send("/invites")
    await admin.press("Export CSV")
    exported = admin.replies[0].file
    assert exported is not None and exported.name == "invitations.csv"
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(table) == 1 + 4
    assert all(row[5].startswith("https://t.me/dtpc_bot?start=iv_") for row in table[1:])


@pytest.mark.parametrize("name", [roster_template.XLSX_NAME, roster_template.CSV_NAME])
async def test_the_shipped_template_imports_cleanly(make_app: MakeApp, name: str) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/import")
    await admin.press("Template (XLSX)" if name.endswith("xlsx") else "Template (CSV)")
    template = admin.replies[0].file
    assert template is not None and template.name == name
    preview = await import_file(admin, template.content, name)
    assert "3 rows accepted (3 new units, 0 updated, 0 unchanged), 0 refused." in preview
    await admin.press("Import")
    assert await count(app, Unit) == 3


async def test_a_file_that_is_not_a_roster_is_refused(make_app: MakeApp) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    await import_file(admin, b"%PDF-1.4\x00\x01", "roster.xlsx")
    assert "Please send the roster as an XLSX or CSV file" in admin.text
    await admin.send_file("roster.csv", roster(OTHER))
    assert "1 rows accepted" in admin.text  # the form is still open
