"""A fictional demo center for newcomers (`python -m bot demo`), made through the real services.

Every unit's name begins with DEMO_MARK and each is listed in `demo_units`; the demo is only
ever written into a database that holds no real unit. The console's role accounts
(bot/engines/console.py) are bound to demo people, so `console --as contact` finds a unit,
`--as leadership` a seat, `--as expert` the expert role.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfWriter
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import uscc

from bot.charter.documents import Audience
from bot.charter.events import EventFields
from bot.charter.notices import Audience as NoticeAudience
from bot.charter.notices import AudienceKind
from bot.clock import local_date
from bot.errors import DomainError
from bot.i18n import N_, Catalogs
from bot.services import (
    applications,
    documents,
    events,
    imports,
    invitations,
    meetings,
    notices,
)
from bot.services.roster_rows import RosterPerson, RosterRow
from bot.settings import Settings
from storage import invitations as stored
from storage import people
from storage.documents_models import DocumentLevel
from storage.meetings_models import BallotKind, MotionKind
from storage.models import Person, Role, UnitTier
from storage.onboarding_models import InvitationKind

DEMO_MARK = "【演示】"
CONSOLE = {Role.CONTACT: 1001, Role.SECRETARIAT: 1002, Role.LEADERSHIP: 1003, Role.EXPERT: 1004}
FICTIONAL_IDS = 9_100_000_000  # Telegram ids of the demo's fictional people start here
NOT_EMPTY = N_(
    "This database already holds real member units; the demo center is only ever written "
    "into an empty database. Point DATABASE_URL at a new file to try the demo."
)
UNITS = (  # name, type, sub-sectors, region, tier
    ("北疆铝业集团", "enterprise", ("smelting", "processing"), "内蒙古", UnitTier.DIRECTOR),
    ("江南铜业股份", "enterprise", ("mining", "smelting"), "江西", UnitTier.DIRECTOR),
    ("中南有色金属研究院", "institute", ("mining",), "湖南", UnitTier.DEPUTY_DIRECTOR),
    ("西部稀有金属大学", "university", ("processing",), "陕西", UnitTier.DEPUTY_DIRECTOR),
    ("云岭锡业", "enterprise", ("mining", "smelting"), "云南", UnitTier.DEPUTY_DIRECTOR),
    ("数智冶金软件", "provider", ("smelting",), "北京", UnitTier.MEMBER),
    ("工业互联网协会分会", "association", ("other",), "上海", UnitTier.MEMBER),
    ("华东铝材加工", "enterprise", ("processing",), "江苏", UnitTier.MEMBER),
    ("秦岭钼业", "enterprise", ("mining",), "陕西", UnitTier.MEMBER),
    ("智能选矿装备", "provider", ("mining",), "辽宁", UnitTier.MEMBER),
    ("岭南再生金属", "enterprise", ("processing", "other"), "广东", UnitTier.MEMBER),
    ("有色数据科技", "provider", ("other",), "浙江", UnitTier.MEMBER),
)
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"


@dataclass(frozen=True)
class DemoCenter:
    units: int
    created: bool  # False: the demo center was already there


async def fill(
    session: AsyncSession, catalogs: Catalogs, settings: Settings, now: datetime
) -> DemoCenter:
    """Writes the demo center into an empty database; a second run leaves it as it is."""
    if await stored.real_unit_count(session):
        raise DomainError(NOT_EMPTY)
    if await stored.demo_unit_count(session):
        return DemoCenter(await stored.demo_unit_count(session), created=False)
    zone = ZoneInfo(settings.timezone)
    staff = await _person(session, CONSOLE[Role.SECRETARIAT], "演示秘书处", now)
    await people.grant(session, staff.id, Role.SECRETARIAT, None, now)
    plan = await imports.plan_rows(session, "demo", _rows())
    await imports.apply(session, plan, staff.id, now, timedelta(days=365), zone)
    unit_ids = await _bind_people(session, now, zone)
    for unit_id in unit_ids:
        await stored.mark_demo(session, unit_id, now)
    contacts = [await _person(session, FICTIONAL_IDS + i, "", now) for i in range(3)]
    await _event(session, settings, staff, contacts, now)
    await _documents(session, staff, now)
    await _meeting(session, staff, now, zone)
    await _application(session, now)
    await _notice(session, catalogs, staff, now, zone)
    return DemoCenter(len(unit_ids), created=True)


def _rows() -> list[RosterRow]:
    rows = []
    for number, (name, kind, sectors, region, tier) in enumerate(UNITS, start=1):
        body = f"9100000000000{number:04d}"
        holders = {UnitTier.DIRECTOR: 2, UnitTier.DEPUTY_DIRECTOR: 1}.get(tier, 0)
        rows.append(
            RosterRow(
                line=number + 1,
                name=DEMO_MARK + name,
                credit_code=body + uscc.calc_check_digit(body),
                unit_type=kind,
                sub_sectors=sectors,
                region=region,
                tier=tier,
                contact=_fictional(number, "联系人"),
                seat_holders=tuple(_fictional(number * 10 + i, "代表") for i in range(holders)),
                experts=(_fictional(99, "专家"),) if number == 3 else (),
            )
        )
    return rows


def _fictional(number: int, what: str) -> RosterPerson:
    name = f"{SURNAMES[number % len(SURNAMES)]}{what}{number}"
    return RosterPerson(name, "13800000000", f"demo{number}@example.invalid")


async def _bind_people(session: AsyncSession, now: datetime, zone: ZoneInfo) -> list[int]:
    """Every demo invitation is accepted: the console's accounts take the first contact,
    seat and expert; fictional accounts take the rest."""
    unit_ids, serial = [], 100
    first = {kind: True for kind in InvitationKind}
    for invitation, unit in await stored.open_ones(session):
        if unit is not None and unit.id not in unit_ids:
            unit_ids.append(unit.id)
        telegram_id = FICTIONAL_IDS + serial
        serial += 1
        if first[invitation.kind]:
            first[invitation.kind] = False
            role = {"contact": Role.CONTACT, "seat": Role.LEADERSHIP, "expert": Role.EXPERT}
            telegram_id = CONSOLE[role[invitation.kind.value]]
        person = await _person(session, telegram_id, invitation.name, now)
        await invitations.accept(session, invitation.token, person, now, zone)
    return unit_ids


async def _person(session: AsyncSession, telegram_id: int, name: str, now: datetime) -> Person:
    return await people.ensure(session, telegram_id, telegram_id, now, name)


async def _event(
    session: AsyncSession, settings: Settings, staff: Person, signups: list[Person], now: datetime
) -> None:
    """An event with two places and three sign-ups: the third waits on the list."""
    starts = now + timedelta(days=12)
    fields = EventFields(
        title=DEMO_MARK + "有色行业数字化转型沙龙",
        description="演示数据：一场虚构的活动。",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        place="北京市海淀区（虚构地址）",
        capacity=2,
        members_until=None,
        guests_allowed=True,
        per_unit=2,
    )
    event = await events.create_event(session, fields, settings.timezone, staff.id, now)
    for person in signups:
        await events.sign_up(session, event.id, person.id, now)


async def _documents(session: AsyncSession, staff: Person, now: datetime) -> None:
    """A members' document, and a draft under embargo seen only by the leadership."""
    for title, embargo in (("年度工作计划", None), ("章程修订草案", now + timedelta(days=7))):
        upload = await documents.receive_upload(
            session, staff, (f"{title}.pdf", "", _pdf()), "", now, 2**20
        )
        draft = documents.DocumentDraft(
            upload_id=upload.id,
            title=DEMO_MARK + title,
            description="演示数据。",
            category="plan",
            audience=Audience(DocumentLevel.MEMBERS),
            embargo_until=embargo,
            review=Audience(DocumentLevel.LEADERSHIP) if embargo else None,
        )
        await documents.publish(session, draft, staff.id, now)


async def _meeting(session: AsyncSession, staff: Person, now: datetime, zone: ZoneInfo) -> None:
    """A joint meeting 20 days ahead (art. 20 wants 15) with one motion."""
    day = local_date(now + timedelta(days=20), zone)
    motion = meetings.MotionDraft(
        title=DEMO_MARK + "审议年度工作计划",
        text="演示数据：请审议并表决。",
        kind=MotionKind.RESOLUTION,
        ballot=BallotKind.OPEN,
    )
    starts = datetime.combine(day, time(9, 30), zone)
    await meetings.schedule(session, starts, "线上会议（虚构）", [motion], staff.id, now, zone)


async def _application(session: AsyncSession, now: datetime) -> None:
    """An application waiting in /review."""
    applicant = await _person(session, FICTIONAL_IDS + 999, "演示申请人", now)
    body = "91000000000009999"
    answers = {
        "unit_name": DEMO_MARK + "新申请单位",
        "credit_code": body + uscc.calc_check_digit(body),
        "unit_type": "enterprise",
        "sub_sectors": ["smelting"],
        "region": "甘肃",
        "contact_name": "演示申请人",
        "phone": "13800000000",
        "email": "apply@example.invalid",
    }
    await applications.save_draft(session, applicant, answers, ("申请表.pdf", _pdf()), now)
    await applications.submit(session, applicant, now)


async def _notice(
    session: AsyncSession, catalogs: Catalogs, staff: Person, now: datetime, zone: ZoneInfo
) -> None:
    """A notice to all members that asks for an acknowledgement (已阅) by 18:00 ten days on:
    a deadline is a minute a person would choose, not the moment the demo ran plus ten days."""
    day = local_date(now + timedelta(days=10), zone)
    draft = notices.Draft(
        html=DEMO_MARK + "关于报送年度数字化转型案例的通知（演示数据）",
        audience=NoticeAudience(AudienceKind.MEMBERS),
        ack_required=True,
        ack_deadline=datetime.combine(day, time(18, 0), zone),
    )
    notice = await notices.prepare(session, draft, staff.id, now, None)
    await notices.confirm(session, catalogs, notice.id, staff, now)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
