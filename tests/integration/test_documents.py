"""Documents in chat (art. 13(1), 14(4), 15, 16(5)): every sending path against the access
table, upload, embargo and release, watermarks traced back, stale and forged buttons."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot.app import App
from bot.charter.documents import Audience, Level
from bot.charter.membership import Discipline
from bot.delivery.policy import REPLY
from bot.errors import STALE
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.services import documents, membership
from handlers.documents import CORRUPTED, INVALID_LINK, refusal
from storage import people, units
from storage.documents_models import DocumentDelivery
from storage.models import OutboxMessage, Role, Unit, UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import PNG, credit_code, make_unit
from tests.unit.test_document_access import MATRIX, OUTCOMES, parse
from tests.unit.test_watermark import make_pdf

GUEST, LEADER, EXPERT = 8001, 8101, 8201
CONTACTS = {  # telegram id -> the status of the unit they are the contact of
    8002: UnitStatus.MEMBER,
    8003: UnitStatus.SUSPENDED,
    8004: UnitStatus.WITHDRAWING,
    8005: UnitStatus.WITHDRAWN,
    8006: UnitStatus.EXPELLED,
}
EXPECTED = {(role, status, level): cell for role, status, level, cell in parse(MATRIX)}
ENGLISH = Catalogs("zh_CN", "Asia/Shanghai").translator("en")  # the people of the table


@dataclass(frozen=True)
class Person:
    telegram_id: int
    role: Role
    unit_status: UnitStatus | None = None


PEOPLE = [
    Person(GUEST, Role.GUEST),
    *(Person(tid, Role.CONTACT, status) for tid, status in CONTACTS.items()),
    Person(LEADER, Role.LEADERSHIP),
    Person(EXPERT, Role.EXPERT),
    Person(ADMIN_ID, Role.SECRETARIAT),
]


async def fetch_by_list(client: ChatClient, document_id: int) -> None:
    await client.press_data(f"dls:{document_id}")


async def fetch_by_button(client: ChatClient, document_id: int) -> None:
    await client.press_data(documents.fetch_button(document_id, "agenda")[1])


async def fetch_by_link(client: ChatClient, document_id: int) -> None:
    await client.send(f"/start doc_{document_id}")


PATHS = {"list": fetch_by_list, "button:agenda": fetch_by_button, "link": fetch_by_link}


async def add_document(
    app: App,
    now: datetime,
    title: str,
    audience: Audience,
    *,
    file: tuple[str, bytes] = ("photo.png", PNG),
    embargo: datetime | None = None,
    review: Audience | None = None,
) -> int:
    """A document published by the secretariat through the service, for tests of sending."""
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None
        name, content = file
        upload = await documents.receive_upload(
            session, admin, (name, f"file:{name}", content), "", now, 2**20
        )
        draft = documents.DocumentDraft(upload.id, title, "", "other", audience, embargo, review)
        return (await documents.publish(session, draft, admin.id, now)).id


async def seed_people(app: App, now: datetime) -> tuple[set[int], int]:
    """The people of the table; returns the ids of their units, and of a unit with no one."""
    async with app.sessions() as session, session.begin():
        for telegram_id in (*CONTACTS, LEADER, EXPERT):  # they read English
            await people.ensure(session, telegram_id, telegram_id, now, language_code="en")
        unit_ids = set()
        for serial, (telegram_id, status) in enumerate(CONTACTS.items(), start=1):
            unit = await make_unit(session, now, serial, contact_telegram_id=telegram_id)
            unit.status, unit_ids = status, unit_ids | {unit.id}
        lonely = await make_unit(session, now, 99)
        for telegram_id, role in ((LEADER, Role.LEADERSHIP), (EXPERT, Role.EXPERT)):
            person = await people.ensure(session, telegram_id, telegram_id, now)
            await people.grant(session, person.id, role, None, now)
        return unit_ids, lonely.id


async def unit_of(app: App, telegram_id: int) -> Unit:
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, telegram_id)
        assert person is not None
        found = await units.of_person(session, person.id)
        assert found is not None
        return found[0]


def the_one_reply(client: ChatClient) -> Reply:
    assert client.last.alert is None, client.last.alert
    (reply,) = client.replies
    return reply


def check(client: ChatClient, title: str, cell: str, confidential: bool, judged: Level) -> None:
    """An allowed request gets the file, protected unless public; a refusal says why, names
    whom the document is for (`judged`), and never names the document."""
    reply = the_one_reply(client)
    if cell == "+":
        assert reply.file is not None, reply.text
        assert reply.protect is confidential
    else:
        assert reply.file is None
        assert reply.text == refusal(ENGLISH, OUTCOMES[cell], judged)
        assert title not in reply.text


async def test_access_table_through_every_path(make_app: MakeApp, clock: FakeClock) -> None:
    app, now = await make_app(), clock.now()
    unit_ids, lonely = await seed_people(app, now)
    publication = now + timedelta(days=3)
    levels = {
        "public": Audience(Level.PUBLIC),
        "members": Audience(Level.MEMBERS),
        "leaders": Audience(Level.LEADERSHIP),
        "experts": Audience(Level.EXPERTS),
        "my-unit": Audience(Level.UNITS, frozenset(unit_ids)),
        "other": Audience(Level.UNITS, frozenset({lonely})),
    }
    docs = {}
    for name, audience in levels.items():
        docs[name] = await add_document(app, now, f"title-{name}", audience)
        docs[f"draft:{name}"] = await add_document(
            app,
            now,
            f"title-draft:{name}",
            audience,
            embargo=publication,
            review=Audience(Level.LEADERSHIP),
        )

    async def sweep(which: dict[str, int], published: bool) -> None:
        for person in PEOPLE:
            client = ChatClient(app, person.telegram_id)
            allowed = set()
            for level, document_id in which.items():
                column = level.removeprefix("draft:") if published else level
                cell = EXPECTED[(person.role, person.unit_status, column)]
                allowed |= {document_id} if cell == "+" else set()
                confidential = column != "public"
                draft = level.startswith("draft:") and not published
                judged = Level.LEADERSHIP if draft else levels[column].level  # its reviewers
                for path in PATHS.values():
                    await path(client, document_id)
                    check(client, f"title-{level}", cell, confidential, judged)
            await client.send("/docs")
            listed = {int(b.data.split(":")[1]) for row in client.replies[0].buttons for b in row}
            assert listed & set(which.values()) == allowed, person

    await sweep(docs, published=False)
    clock.advance(days=3)
    await sweep({k: v for k, v in docs.items() if k.startswith("draft:")}, published=True)
    async with app.sessions() as session:
        paths = set((await session.scalars(select(DocumentDelivery.path))).all())
    assert paths == set(PATHS)


async def upload(
    admin: ChatClient,
    file: tuple[str, bytes],
    title: str,
    level: str,
    *,
    units: str = "",
    review: tuple[str, str] | None = None,
    announce: bool = True,
) -> int:
    """Walks /upload; returns the new document's id, read from its link."""
    await admin.send("/upload")
    await admin.send_file(*file)
    await admin.send(title)
    await admin.send("说明：供成员单位参阅")
    await admin.press("Meeting papers")
    await admin.press(level)
    if units:
        await admin.send(units)
    if review is None:
        await admin.press("Publish now")
        await admin.press("Publish and announce" if announce else "Publish without announcing")
    else:
        await admin.press("Draft for review first…")
        await admin.press(review[0])
        await admin.send(review[1])
        await admin.press("Save the draft and tell the reviewers")
    found = re.search(r"doc_(\d+)", admin.text)
    assert found, admin.text
    return int(found.group(1))


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


async def test_upload_announce_fetch_watermark_trace(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app(bot_username="dtpc_bot")
    await seed_people(app, clock.now())
    admin, member = ChatClient(app, ADMIN_ID), ChatClient(app, 8002)
    await upload(
        admin, ("纪要.pdf", make_pdf((595, 842), (842, 595))), "第一次会议纪要", "Member units"
    )
    assert "https://t.me/dtpc_bot?start=doc_" in admin.text
    told = {r.chat_id: r for r in admin.last.replies if r.chat_id}
    assert set(told) == {8002, 8004, LEADER}  # not the suspended unit, nor those that left
    assert all(r.protect and "第一次会议纪要" in r.text for r in told.values())

    member.receive(admin.last)
    clock.advance(hours=1)
    await member.press("📄 Get the document")
    reply = the_one_reply(member)
    assert reply.protect and reply.file is not None and reply.file.file_id is None
    pages = pdf_text(reply.file.content or b"")
    async with app.sessions() as session:
        entry = (await session.scalars(select(DocumentDelivery))).one()
    assert (entry.path, entry.allowed, entry.protected, entry.watermarked) == (
        "button:publish",
        True,
        True,
        True,
    )
    stamp = (
        f"测试单位 1 · 联系人 1 (Test User) · 2026-11-25 11:00 UTC+0800 · trace code "
        f"{entry.trace_code}"
    )
    assert len(pages) == 2 and all(stamp in page for page in pages)

    await admin.send(f"/trace {entry.trace_code.lower()}")
    assert admin.text == (
        f"Trace code {entry.trace_code}: 第一次会议纪要, version 1, sent on Wed, Nov 25, 2026, "
        "11:00 to 联系人 1 (Test User) of 测试单位 1. How it was obtained: button on the "
        "announcement of a new document."
    )
    assert the_one_reply(admin).protect
    await admin.send("/trace ZZZZZZZZ")
    assert admin.text == "No delivery has the trace code ZZZZZZZZ."


async def test_public_documents_go_to_anyone_unprotected(make_app: MakeApp) -> None:
    app = await make_app()
    admin, guest = ChatClient(app, ADMIN_ID), ChatClient(app, GUEST)
    document_id = await upload(
        admin, ("charter.pdf", make_pdf()), "公开文件", "Public", announce=False
    )
    assert [r for r in admin.last.replies if r.chat_id] == []
    await guest.send(f"/start doc_{document_id}")
    reply = the_one_reply(guest)
    assert not reply.protect and reply.file is not None
    assert reply.file.file_id == "file:charter.pdf"  # re-sent by Telegram's file id, unstamped
    assert "trace code" not in "".join(pdf_text(reply.file.content or b""))


async def test_a_fetched_document_goes_by_the_outbox_as_a_reply(make_app: MakeApp) -> None:
    """Paced as the engine's own replies (not the chat's one a second): the person waits."""
    app = await make_app()
    admin, guest = ChatClient(app, ADMIN_ID), ChatClient(app, GUEST)
    document_id = await upload(
        admin, ("charter.pdf", make_pdf()), "公开文件", "Public", announce=False
    )
    await guest.send(f"/start doc_{document_id}")
    async with app.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert [(r.chat_id, r.purpose) for r in rows if r.chat_id == GUEST] == [(GUEST, REPLY)]


async def test_file_id_only_for_the_bot_that_received_it(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_token="1001:first")
    document_id = await add_document(app, clock.now(), "x", Audience(Level.PUBLIC))
    guest = ChatClient(app, GUEST)
    await fetch_by_link(guest, document_id)
    assert the_one_reply(guest).file.file_id is None  # uploaded without a token ("")
    async with app.sessions() as session, session.begin():
        await session.execute(text("UPDATE document_versions SET file_bot = '1001'"))
    await fetch_by_link(guest, document_id)
    assert the_one_reply(guest).file.file_id == "file:photo.png"
    guest.app = await make_app(bot_token="2002:second")  # a new bot: its own copy goes
    await fetch_by_link(guest, document_id)
    reply = the_one_reply(guest)
    assert reply.file.file_id is None and reply.file.content == PNG


async def test_upload_refusals(make_app: MakeApp) -> None:
    admin = ChatClient(await make_app(document_max_bytes=2**20), ADMIN_ID)
    await admin.send("/upload")
    assert "at most 1.0 MB" in admin.text
    await admin.send_file("notes.txt", b"plain text")
    assert "Documents may be PDF, Word" in admin.text
    await admin.send_file("big.png", PNG + b"\x00" * (2**19 * 3))
    assert admin.text == "That file is 1.5 MB; documents may be at most 1.0 MB."
    await admin.send_file("locked.pdf", b"%PDF-1.7 damaged")
    assert "cannot be read" in admin.text
    await admin.send_file("table.xlsx", b"PK\x03\x04" + b"\x00" * 40)
    assert admin.text == "The document's title?"
    contact = ChatClient(admin.app, 8002)
    await contact.send("/upload")
    assert contact.text == "The command /upload is not available to you."


async def test_embargo_review_then_release(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed_people(app, clock.now())
    admin, leader, member = (ChatClient(app, i) for i in (ADMIN_ID, LEADER, 8002))
    document_id = await upload(
        admin,
        ("plan.docx", b"PK\x03\x04 word"),
        "2027年工作计划（征求意见稿）",
        "Member units",
        review=("Joint directors' meeting", "2026-11-28 09:00"),
    )
    (review,) = leader.receive(admin.last)
    assert "until its publication (Sat, Nov 28, 2026, 09:00)" in review.text and review.protect
    assert not member.receive(admin.last)

    await fetch_by_link(member, document_id)
    assert the_one_reply(member).text == (
        "You may not receive this document: it has not been published yet."
    )
    await leader.press("📄 Get the document")
    assert "Draft for review" in the_one_reply(leader).text
    assert the_one_reply(leader).protect

    async def release() -> list[Reply]:
        async with app.sessions() as session, session.begin():
            return await documents.release_due_embargoes(session, app.catalogs, clock.now())

    clock.moment = datetime.fromisoformat("2026-11-28T00:59:59+00:00")
    assert await release() == []
    await fetch_by_link(member, document_id)
    assert the_one_reply(member).file is None
    clock.advance(seconds=1)  # 09:00 in Shanghai: access opens at once, by the rule
    await fetch_by_link(member, document_id)
    assert the_one_reply(member).protect
    released = await release()
    assert {r.chat_id for r in released} == {8002, 8004, LEADER, ADMIN_ID}
    assert all(r.protect for r in released)
    assert await release() == []  # once


async def test_buttons_sent_earlier_follow_the_units_status(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seed_people(app, clock.now())
    admin, member = ChatClient(app, ADMIN_ID), ChatClient(app, 8002)
    await upload(admin, ("a.png", PNG), "成员资讯", "Member units")
    member.receive(admin.last)
    button = member.button_data("📄 Get the document")

    unit_id = (await unit_of(app, 8002)).id

    async def discipline(measure: Discipline | None) -> None:
        async with app.sessions() as session, session.begin():
            if measure is None:
                await membership.lift_suspension(session, unit_id, 1, clock.now())
            else:
                await membership.discipline(
                    session, unit_id, measure, "x", 1, clock.now(), ZoneInfo("Asia/Shanghai")
                )

    await discipline(Discipline.SUSPENSION)
    await member.press_data(button)
    assert the_one_reply(member).text == (
        "You may not receive this document: it is only for the center's member units, and your "
        "unit's rights as a member unit are suspended (charter art. 15(3))."
    )
    await discipline(None)
    await member.press_data(button)
    assert the_one_reply(member).file is not None
    await discipline(Discipline.EXPULSION)
    await member.press_data(button)
    assert the_one_reply(member).text == (
        "You may not receive this document: it is only for the center's member units, and you "
        "are not the contact person of a member unit."
    )
    async with app.sessions() as session:
        log = (await session.scalars(select(DocumentDelivery).order_by(DocumentDelivery.id))).all()
    assert [(e.allowed, e.reason) for e in log] == [
        (False, "suspended"),
        (True, "audience"),
        (False, "not_member"),
    ]


async def test_forged_and_stale_buttons(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed_people(app, clock.now())
    secret = await add_document(app, clock.now(), "机密议案", Audience(Level.LEADERSHIP))
    member = ChatClient(app, 8002)
    for data in (
        "doc:999:notice",
        "doc:x:notice",
        f"doc:{secret}",
        f"doc:{secret}:forged",
        f"dls:{secret}:1",
        "dls:",
        f"dm:log:{secret}",  # the secretariat's, pressed by a contact
        "upload:pub:announce",
    ):
        await member.press_data(data)
        assert member.last.alert == STALE, data
        assert member.replies == []
    await member.press_data(f"doc:{secret}:notice")  # a forged but well-formed button
    reply = the_one_reply(member)
    assert reply.text == (
        "You may not receive this document: it is only for the members of the joint directors' "
        "meeting, and you are not among them."
    )
    for payload in ("doc_999", "doc_x", f"doc_{secret}_1"):
        await member.send(f"/start {payload}")
        assert member.text == INVALID_LINK
    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data("upload:pub:announce")  # a form that is over
    assert admin.last.alert == STALE


async def test_new_version_log_and_export(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed_people(app, clock.now())
    admin, member, guest = (ChatClient(app, i) for i in (ADMIN_ID, 8002, GUEST))
    document_id = await upload(
        admin, ("v1.pdf", make_pdf(body="first")), "标准草案", "Member units"
    )
    await fetch_by_link(member, document_id)
    await fetch_by_link(guest, document_id)
    await fetch_by_link(admin, document_id)
    assert "first" in pdf_text(the_one_reply(admin).file.content)[0]

    clock.advance(days=1)
    await admin.press("Upload a new version")
    await admin.send_file("v2.pdf", make_pdf(body="second"))
    await admin.press("Save and tell earlier recipients")
    assert "version 2" in admin.text
    (told,) = member.receive(admin.last)  # not the guest, who was refused
    assert told.protect
    await member.press("📄 Get the document")
    assert "second" in pdf_text(the_one_reply(member).file.content)[0]

    await fetch_by_link(admin, document_id)
    await admin.press("Who received it")
    view = the_one_reply(admin)
    assert view.protect and "标准草案 — sent: 4; refused: 1." in view.text
    assert "v1 · 联系人 1 (Test User) · 测试单位 1 · link" in view.text
    assert "✗ not a member unit's contact" in view.text
    assert "button on the notice of a new version" in view.text
    await admin.press("Export the access log")
    export = the_one_reply(admin)
    assert export.protect and export.file is not None
    rows = (export.file.content or b"").decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Time,Version,Person,Unit,How obtained,Sent")
    assert len(rows) == 1 + 5
    assert (
        ",2,联系人 1 (Test User),测试单位 1,button on the notice of a new version,yes,"
        in (rows[-2])
    )


async def test_corrupt_copy_is_not_sent(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed_people(app, clock.now())
    document_id = await add_document(app, clock.now(), "x", Audience(Level.MEMBERS))
    async with app.sessions() as session, session.begin():
        await session.execute(text("UPDATE document_versions SET content = :c"), {"c": b"rotten"})
    member = ChatClient(app, 8002)
    await fetch_by_link(member, document_id)
    assert member.text == CORRUPTED
    assert [r.chat_id for r in member.last.replies if r.chat_id] == [ADMIN_ID]
    async with app.sessions() as session:
        entry = (await session.scalars(select(DocumentDelivery))).one()
    assert (entry.allowed, entry.reason) == (False, "corrupt")


async def test_access_log_is_append_only(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    document_id = await add_document(app, clock.now(), "x", Audience(Level.PUBLIC))
    await fetch_by_link(ChatClient(app, GUEST), document_id)
    for statement in (
        "UPDATE document_deliveries SET path = 'x'",
        "DELETE FROM document_deliveries",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.sessions() as session, session.begin():
                await session.execute(text(statement))


async def test_named_units_and_the_list_by_category(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed_people(app, clock.now())
    admin, member, other = (ChatClient(app, i) for i in (ADMIN_ID, 8002, 8004))
    await add_document(app, clock.now(), "公开通知", Audience(Level.PUBLIC))
    await admin.send("/upload")
    await admin.send_file("名单.xlsx", b"PK\x03\x04 sheet")
    for answer in ("专项名单", "-"):
        await admin.send(answer)
    await admin.press("Meeting papers")
    await admin.press("Named units…")
    await admin.send(credit_code(98))
    assert admin.text == f"No unit on the roster has the credit code {credit_code(98)}."
    await admin.send(f"{credit_code(1)}, {credit_code(2)}")
    await admin.press("Publish now")
    assert "For: Named units (2)" in admin.text
    await admin.press("Publish and announce")
    assert {r.chat_id for r in admin.last.replies if r.chat_id} == {8002}  # 2 is suspended

    await member.send("/docs")
    listing = the_one_reply(member)
    assert listing.protect
    assert listing.text.splitlines()[0] == "Meeting papers"
    assert re.search(r"• \d+\. 专项名单 — Wed, Nov 25, 2026", listing.text)
    assert re.search(r"Other\n• \d+\. 公开通知", listing.text)
    await member.send("/docs 公开")
    assert "专项名单" not in member.text and "公开通知" in member.text
    await other.send("/docs")
    assert "专项名单" not in other.text and not the_one_reply(other).protect
