"""Documents as the secretariat and the refused read them (issue 20): a refusal names whom the
document is for; the access log, its export and /trace name people as on the roster and say in
words how each copy was obtained; the release's count reads as a sentence; /audit names who
acted as on the roster."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from bot.charter.documents import Audience, Level
from bot.charter.membership import Discipline
from bot.services import documents, membership
from storage import audit, people, units
from storage.documents_models import DocumentDelivery
from storage.models import Contact, Role
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import PNG, make_unit

ZONE = ZoneInfo("Asia/Shanghai")
ZH = "zh-hans"
CONTACT, OTHER, GUEST, SUSPENDED, EXPERT = 8401, 8402, 8403, 8404, 8405
LEVELS = {
    "members": Audience(Level.MEMBERS),
    "leadership": Audience(Level.LEADERSHIP),
    "experts": Audience(Level.EXPERTS),
}


async def add_document(
    app: App,
    now: datetime,
    title: str,
    audience: Audience,
    *,
    embargo: datetime | None = None,
    review: Audience | None = None,
) -> int:
    """A document published by the secretariat through the service."""
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        upload = await documents.receive_upload(
            session, admin, ("photo.png", "file:photo.png", PNG), "", now, 2**20
        )
        draft = documents.DocumentDraft(upload.id, title, "", "other", audience, embargo, review)
        return (await documents.publish(session, draft, admin.id, now)).id


async def fetch_by_link(client: ChatClient, document_id: int) -> None:
    await client.send(f"/start doc_{document_id}")


async def fetch_by_button(client: ChatClient, document_id: int) -> None:
    await client.press_data(documents.fetch_button(document_id, "agenda")[1])


async def seed(app: App, clock: FakeClock) -> None:
    """Unit 1's contact is 王建国 on the roster, "建国" in Telegram; unit 2 has 李娜; unit 3
    was suspended; and an expert with no unit."""
    now = clock.now()
    async with app.sessions() as session, session.begin():
        for serial, telegram_id, name in ((1, CONTACT, "王建国"), (2, OTHER, "李娜"),
                                          (3, SUSPENDED, "赵强")):  # fmt: skip
            await make_unit(session, now, serial, contact_telegram_id=telegram_id)
            person = await people.by_telegram_id(session, telegram_id)
            assert person is not None
            _unit, contact = await units.of_person(session, person.id)
            (await session.get(Contact, contact.id)).name = name
        expert = await people.ensure(session, EXPERT, EXPERT, now)
        await people.grant(session, expert.id, Role.EXPERT, None, now)
        suspended = (await units.of_person(session, person.id))[0]
        await membership.discipline(
            session, suspended.id, Discipline.SUSPENSION, "x", None, now, ZONE
        )


REFUSED = {
    ("en", "members"): "You may not receive this document: it is only for the center's member "
    "units, and you are not the contact person of a member unit.",
    ("en", "leadership"): "You may not receive this document: it is only for the members of "
    "the joint directors' meeting, and you are not among them.",
    ("en", "experts"): "You may not receive this document: it is only for the members of the "
    "expert committee, and you are not among them.",
    ("en", "units"): "You may not receive this document: it is only for the member units "
    "named by the secretariat, and you are not among them.",
    (
        ZH,
        "members",
    ): "您无法获取此文件：该文件仅供推进中心成员单位获取，而您不是成员单位的联系人。",
    (ZH, "leadership"): "您无法获取此文件：该文件仅供主任联席会成员获取，而您不在其列。",
    (ZH, "experts"): "您无法获取此文件：该文件仅供专家委员会委员获取，而您不在其列。",
    (ZH, "units"): "您无法获取此文件：该文件仅供秘书处指定的成员单位获取，而您不在其列。",
}


@pytest.mark.parametrize("language", ["en", ZH])
async def test_a_refusal_names_the_documents_real_audience(
    make_app: MakeApp, clock: FakeClock, language: str
) -> None:
    app = await make_app()
    await seed(app, clock)
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, OTHER)
        named = {(await units.of_person(session, person.id))[0].id}
    guest = ChatClient(app, GUEST, language_code=language)
    ids = {}
    for level, audience in {**LEVELS, "units": Audience(Level.UNITS, frozenset(named))}.items():
        ids[level] = await add_document(app, clock.now(), f"机密-{level}", audience)
        await fetch_by_link(guest, ids[level])
        assert guest.text == REFUSED[(language, level)]
    expert = ChatClient(app, EXPERT, language_code=language)  # an expert, not a contact
    await fetch_by_link(expert, ids["leadership"])
    assert expert.text == REFUSED[(language, "leadership")]


SUSPENDED_REFUSAL = {
    "en": "You may not receive this document: it is only for the center's member units, and "
    "your unit's rights as a member unit are suspended (charter art. 15(3)).",
    ZH: "您无法获取此文件：该文件仅供推进中心成员单位获取，而贵单位已被暂停行使成员单位权利"
    "（章程第十五条第三项）。",
}


@pytest.mark.parametrize("language", ["en", ZH])
async def test_a_suspended_units_contact_is_told_the_suspension(
    make_app: MakeApp, clock: FakeClock, language: str
) -> None:
    app = await make_app()
    await seed(app, clock)
    document_id = await add_document(app, clock.now(), "成员资讯", LEVELS["members"])
    contact = ChatClient(app, SUSPENDED, language_code=language)
    await fetch_by_link(contact, document_id)
    assert contact.text == SUSPENDED_REFUSAL[language]


async def test_a_draft_refusal_names_its_reviewers(make_app: MakeApp, clock: FakeClock) -> None:
    """Art. 14(4): before its publication a draft is its reviewers'; after it, its audience's."""
    app = await make_app()
    await seed(app, clock)
    draft = await add_document(
        app,
        clock.now(),
        "征求意见稿",
        LEVELS["members"],
        embargo=clock.now() + timedelta(days=1),
        review=LEVELS["experts"],
    )
    member = ChatClient(app, CONTACT)
    await fetch_by_link(member, draft)
    assert member.text == "You may not receive this document: it has not been published yet."
    guest = ChatClient(app, GUEST)
    clock.advance(days=1)
    await fetch_by_link(guest, draft)
    assert guest.text == REFUSED[("en", "members")]


async def deliveries(app: App) -> list[DocumentDelivery]:
    async with app.sessions() as session:
        query = select(DocumentDelivery).order_by(DocumentDelivery.id)
        return list((await session.scalars(query)).all())


async def test_the_access_log_names_people_and_paths_as_a_secretary_reads_them(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seed(app, clock)
    document_id = await add_document(app, clock.now(), "标准草案", LEVELS["members"])
    await fetch_by_link(ChatClient(app, CONTACT, name="建国"), document_id)
    await fetch_by_button(ChatClient(app, OTHER, name="李娜"), document_id)
    await fetch_by_link(ChatClient(app, GUEST, name="Jing C."), document_id)
    code = (await deliveries(app))[0].trace_code

    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data(f"dm:log:{document_id}")
    assert admin.text.splitlines() == [
        "标准草案 — sent: 2; refused: 1.",
        "Wed, Nov 25, 2026, 10:00 · v1 · Jing C. · link · ✗ not a member unit's contact",
        "Wed, Nov 25, 2026, 10:00 · v1 · 李娜 · 测试单位 2 · button on a meeting agenda · "
        + (await deliveries(app))[1].trace_code,
        f"Wed, Nov 25, 2026, 10:00 · v1 · 王建国 (建国) · 测试单位 1 · link · {code}",
    ]
    await admin.press_data(f"dm:csv:{document_id}")
    rows = admin.replies[0].file.content.decode("utf-8-sig").splitlines()
    assert rows[0] == (
        "Time,Version,Person,Unit,How obtained,Sent,Reason,Trace code,Protected,Watermarked"
    )
    assert ",1,王建国 (建国),测试单位 1,link,yes,in the audience," in rows[1]
    assert ",1,李娜,测试单位 2,button on a meeting agenda,yes,in the audience," in rows[2]
    assert ",1,Jing C.,,link,no,not a member unit's contact,," in rows[3]

    await admin.send(f"/trace {code}")
    assert admin.text == (
        f"Trace code {code}: 标准草案, version 1, sent on Wed, Nov 25, 2026, 10:00 to "
        "王建国 (建国) of 测试单位 1. How it was obtained: link."
    )


async def test_the_access_log_in_chinese(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed(app, clock)
    document_id = await add_document(app, clock.now(), "标准草案", LEVELS["members"])
    await fetch_by_link(ChatClient(app, CONTACT, name="建国"), document_id)
    await fetch_by_link(ChatClient(app, SUSPENDED, name="赵强"), document_id)
    code = (await deliveries(app))[0].trace_code
    admin = ChatClient(app, ADMIN_ID, language_code=ZH)
    await admin.press_data(f"dm:log:{document_id}")
    lines = admin.text.splitlines()
    assert lines[1] == (
        "2026年11月25日周三 10:00 · v1 · 赵强 · 测试单位 3 · 链接 · "
        "✗ 所在单位被暂停行使成员单位权利"
    )
    assert (
        lines[2] == f"2026年11月25日周三 10:00 · v1 · 王建国 (建国) · 测试单位 1 · 链接 · {code}"
    )
    await admin.press_data(f"dm:csv:{document_id}")
    rows = admin.replies[0].file.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "时间,版本,接收人,单位,获取方式,已发送,原因,追溯码,禁止转发,已加水印"
    assert ",王建国 (建国),测试单位 1,链接,是,在发送范围内," in rows[1]
    await admin.send(f"/trace {code}")
    assert admin.text == (
        f"追溯码 {code}：标准草案，第 1 版，于2026年11月25日周三 10:00发送给测试单位 1的"
        "王建国 (建国)。获取方式：链接。"
    )


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "年度计划 is published as planned; 2 people were notified."),
        (ZH, "年度计划已按计划正式发布，已通知2人。"),
    ],
)
async def test_the_release_tells_the_secretariat_how_many_were_notified(
    make_app: MakeApp, clock: FakeClock, language: str, told: str
) -> None:
    app = await make_app()
    await seed(app, clock)
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        admin.language_code = language
    publication = clock.now() + timedelta(days=1)
    await add_document(
        app, clock.now(), "年度计划", LEVELS["members"], embargo=publication,
        review=LEVELS["experts"],
    )  # fmt: skip
    clock.moment = publication
    async with app.sessions() as session, session.begin():
        replies = await documents.release_due_embargoes(session, app.catalogs, clock.now())
    assert [r.text for r in replies if r.chat_id == ADMIN_ID] == [told]


async def test_one_person_notified_reads_in_the_singular(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seed(app, clock)
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        admin.language_code = "en"
    publication = clock.now() + timedelta(days=1)
    await add_document(
        app, clock.now(), "专家意见", LEVELS["experts"], embargo=publication,
        review=LEVELS["experts"],
    )  # fmt: skip
    clock.moment = publication
    async with app.sessions() as session, session.begin():
        replies = await documents.release_due_embargoes(session, app.catalogs, clock.now())
    assert [r.text for r in replies if r.chat_id == ADMIN_ID] == [
        "专家意见 is published as planned; 1 person was notified."
    ]


@pytest.mark.parametrize(
    ("language", "review"),
    [
        ("en", "It stays confidential until its publication (Thu, Nov 26, 2026, 10:00)."),
        (ZH, "正式发布（2026年11月26日周四 10:00）前须严格保密。"),
    ],
)
async def test_the_reviewers_read_the_publication_time_as_they_read_dates(
    make_app: MakeApp, clock: FakeClock, language: str, review: str
) -> None:
    app = await make_app()
    await seed(app, clock)
    async with app.sessions() as session, session.begin():
        expert = await people.by_telegram_id(session, EXPERT)
        expert.language_code = language
    draft = await add_document(
        app, clock.now(), "专家意见", LEVELS["members"],
        embargo=clock.now() + timedelta(days=1), review=LEVELS["experts"],
    )  # fmt: skip
    async with app.sessions() as session:
        document = await session.get(documents.Document, draft)
        told = await documents.announce_publication(session, app.catalogs, document, clock.now())
    (reply,) = told
    assert review in reply.text


async def test_the_document_list_and_caption_date_with_the_weekday(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seed(app, clock)
    document_id = await add_document(app, clock.now(), "成员资讯", LEVELS["members"])
    member = ChatClient(app, CONTACT, language_code=ZH)
    await member.send("/docs")
    assert re.search(r"• \d+\. 成员资讯 — 2026年11月25日周三", member.text)
    await fetch_by_link(member, document_id)
    assert "第 1 版，2026年11月25日周三" in member.text


async def test_audit_names_who_acted_as_on_the_roster(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed(app, clock)
    await ChatClient(app, CONTACT, name="建国").send("/start")
    await ChatClient(app, GUEST, name="Jing C.").send("/start")
    async with app.sessions() as session, session.begin():
        for telegram_id, action in ((CONTACT, "contact.test"), (GUEST, "guest.test")):
            person = await people.by_telegram_id(session, telegram_id)
            await audit.record(session, clock.now(), person.id, action, "unit:1")
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/audit")
    lines = admin.text.splitlines()
    assert "Wed, Nov 25, 2026, 10:00 王建国 (建国): contact.test unit:1" in lines
    assert "Wed, Nov 25, 2026, 10:00 Jing C.: guest.test unit:1" in lines
