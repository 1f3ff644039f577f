"""Notices as people read them (issue 20), in zh_CN and en, on SQLite and PostgreSQL: a notice
never longer than Telegram takes once the 已阅 line is added, deadlines on the minute, a second
press of 已阅, and the roster's names in the acknowledgement report."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import demo
from bot.app import App
from bot.charter.notices import Audience, AudienceKind
from bot.delivery.testing import RecordingTransport, make_test_worker
from bot.errors import DomainError
from bot.protocol import Outcome, Reply
from bot.services import notices
from storage import people
from storage.models import Contact, Role
from storage.notices_models import Notice, NoticeStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import make_unit

EN, ZH = 7301, 7302  # the contacts of two member units, one reading English, one Chinese
LANGUAGES = {"en": "en", "zh-hans": "zh_CN"}  # Telegram's language code → our locale
LIMIT = 4096  # Telegram's limit on a message's text
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The line a copy ends with, as each recipient reads it; the English ones are the longer.
EN_ASKED = "\n\nPlease acknowledge that you have read it."
ZH_ASKED = "\n\n请确认已阅。"
DEADLINE = "2026-12-10 18:00"
EN_BY = "\n\nPlease acknowledge by Thu, Dec 10, 2026, 18:00."
ZH_BY = "\n\n请于 2026年12月10日周四 18:00 前确认已阅。"
TOO_LONG = {
    "en": "With the line that asks for the acknowledgement, the notice as it will be sent is "
    "up to {length} characters long: {excess} too many for Telegram, which allows 4096.\n"
    "Please send the text again, at least {excess} character{s} shorter.",
    "zh_CN": "加上请求确认已阅的一行，通知发出时最长为 {length} 个字符，"
    "比 Telegram 允许的 4096 个多出 {excess} 个。\n请重新发送正文，至少缩短 {excess} 个字符。",
}
TAG = re.compile(r"<[^>]+>")


def counted(text_html: str) -> int:
    """A formatted text's length as Telegram counts it: as read, in UTF-16 code units."""
    return len(html.unescape(TAG.sub("", text_html)).encode("utf-16-le")) // 2


def body(length: int) -> str:
    """A notice `length` long as Telegram counts it: the emoji counts two, `&` (sent as
    `&amp;`) one."""
    head = "📢 A&B 通知"
    return head + "字" * (length - counted(html.escape(head)))


def too_long(locale: str, length: int) -> str:
    excess = length - LIMIT
    s = "" if excess == 1 else "s"
    return TOO_LONG[locale].format(length=length, excess=excess, s=s)


async def seed(app: App) -> None:
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        for serial, telegram_id, code in ((1, EN, "en"), (2, ZH, "zh-hans")):
            await make_unit(session, now, serial, contact_telegram_id=telegram_id)
            person = await people.by_telegram_id(session, telegram_id)
            assert person is not None
            person.language_code = code


async def copies(app: App) -> dict[int, Reply]:
    """Each copy as the outbox sent it, by chat."""
    transport = RecordingTransport(app.clock)
    worker = make_test_worker(app.sessions, transport, app.settings, app.clock, app.catalogs)  # type: ignore[arg-type]
    await worker.run_until_idle()
    return {chat: transport.to(chat)[-1].reply for chat in (EN, ZH)}


class Form:
    """The secretariat at /broadcast, pressing the buttons of its own language."""

    def __init__(self, app: App, language: str) -> None:
        self.admin = ChatClient(app, ADMIN_ID, language_code=language)
        self.t = app.catalogs.translator(LANGUAGES[language])

    async def press(self, label: str) -> str:
        await self.admin.press(self.t(label))
        return self.admin.text

    async def send(self, text: str) -> str:
        await self.admin.send(text)
        return self.admin.text

    async def up_to_ack(self, text: str) -> None:
        await self.send("/broadcast")
        await self.send(text)
        for label in ("No file", "No links", "All member units"):
            await self.press(label)

    def asks(self, label: str) -> bool:
        return self.t(label) in self.admin.labels


# -- lengths ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_acknowledgement_line_may_not_push_a_notice_over_telegrams_limit(
    make_app: MakeApp, language: str
) -> None:
    """4,096 − the longest 已阅 line fits, in every copy; one more is caught when the line is
    asked for, and the author is told by how much to cut."""
    app = await make_app()
    await seed(app)
    form = Form(app, language)
    fits = LIMIT - len(EN_ASKED)
    await form.up_to_ack(body(fits + 1))

    refused = await form.press("Yes, ask for acknowledgement")
    assert refused == too_long(LANGUAGES[language], LIMIT + 1)
    await form.send(body(fits))  # the text again; the form goes on from the acknowledgement
    assert form.asks("No deadline")
    await form.press("No deadline")
    await form.press("Send now")
    _, preview, _ = form.admin.replies
    own = EN_ASKED if language == "en" else ZH_ASKED
    assert counted(preview.text) == fits + len(own) and preview.text.endswith(f"{own[2:]}</i>")
    assert preview.text.startswith("📢 A&amp;B 通知字")

    await form.press("Confirm and send")
    sent = await copies(app)
    assert counted(sent[EN].text) == LIMIT and sent[EN].text.endswith(f"{EN_ASKED[2:]}</i>")
    assert counted(sent[ZH].text) == fits + len(ZH_ASKED)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_deadline_or_a_changed_text_that_makes_it_too_long_is_caught(
    make_app: MakeApp, language: str
) -> None:
    """The deadline's line is longer than the plain one: the deadline step checks again, and
    so does the text changed from the preview; the preview is never a header alone."""
    app = await make_app()
    await seed(app)
    form = Form(app, language)
    locale = LANGUAGES[language]
    await form.up_to_ack(body(LIMIT - len(EN_ASKED)))
    await form.press("Yes, ask for acknowledgement")

    refused = await form.send(DEADLINE)
    assert refused == too_long(locale, LIMIT - len(EN_ASKED) + len(EN_BY))
    fits = LIMIT - len(EN_BY)
    await form.send(body(fits))
    assert form.asks("No reminders")  # the deadline is kept: on to the reminders
    await form.press("No reminders")
    await form.press("Send now")
    await form.press("Change…")
    await form.press("Text")
    assert await form.send(body(fits + 1)) == too_long(locale, LIMIT + 1)
    await form.send(body(fits))
    _, preview, _ = form.admin.replies
    own = EN_BY if language == "en" else ZH_BY
    assert counted(preview.text) == fits + len(own) and preview.text.endswith(f"{own[2:]}</i>")

    await form.press("Confirm and send")
    sent = await copies(app)
    assert counted(sent[EN].text) == LIMIT
    assert sent[ZH].text.endswith(f"{ZH_BY[2:]}</i>")


async def test_a_notice_too_long_is_not_sent_even_when_confirmed(make_app: MakeApp) -> None:
    """The last guard: confirming a notice that would be too long is refused, nothing goes."""
    app = await make_app()
    await seed(app)
    now = app.clock.now()
    draft = notices.Draft(
        html=html.escape(body(LIMIT - len(EN_ASKED) + 1)),
        audience=Audience(AudienceKind.MEMBERS),
        ack_required=True,
    )
    async with app.sessions() as session, session.begin():
        staff = await people.ensure(session, ADMIN_ID, ADMIN_ID, now)
        notice = await notices.prepare(session, draft, staff.id, now, None)
    with pytest.raises(DomainError) as refused:
        async with app.sessions() as session, session.begin():
            await notices.confirm(session, app.catalogs, notice.id, staff, now)
    assert refused.value.text(app.catalogs.translator("en")) == (
        "With the line that asks for the acknowledgement, the notice as it will be sent is up "
        "to 4097 characters long: 1 too many for Telegram, which allows 4096."
    )
    async with app.sessions() as session:
        assert (await session.get(Notice, notice.id)).status is NoticeStatus.DRAFT  # type: ignore[union-attr]


# -- deadlines ----------------------------------------------------------------------------


async def test_a_deadline_with_seconds_is_the_next_whole_minute(make_app: MakeApp) -> None:
    """08:03:34 is kept and read as 08:04: a deadline is a minute, never earlier than asked."""
    app = await make_app()
    await seed(app)
    now = app.clock.now()
    deadline = datetime(2026, 12, 12, 8, 3, 34, tzinfo=SHANGHAI)
    draft = notices.Draft(
        html="年度统计报表",
        audience=Audience(AudienceKind.MEMBERS),
        ack_required=True,
        ack_deadline=deadline,
        remind_at=(deadline - timedelta(days=1),),
    )
    async with app.sessions() as session, session.begin():
        staff = await people.ensure(session, ADMIN_ID, ADMIN_ID, now)
        await people.grant(session, staff.id, Role.SECRETARIAT, None, now)
        notice = await notices.prepare(session, draft, staff.id, now, None)
        await notices.confirm(session, app.catalogs, notice.id, staff, now)
    async with app.sessions() as session:
        kept = await session.scalar(select(Notice))
        assert kept is not None and kept.ack_deadline is not None
        assert kept.ack_deadline.astimezone(SHANGHAI).time().isoformat() == "08:04:00"
        assert kept.remind_at == ["2026-12-11T08:04:00+08:00"]
    sent = await copies(app)
    assert sent[EN].text.endswith("<i>Please acknowledge by Sat, Dec 12, 2026, 08:04.</i>")
    assert sent[ZH].text.endswith("<i>请于 2026年12月12日周六 08:04 前确认已阅。</i>")


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("zh-hans", "请于 2026年12月5日周六 18:00 前确认已阅。"),
        ("en", "Please acknowledge by Sat, Dec 5, 2026, 18:00."),
    ],
)
async def test_the_demo_notice_asks_by_a_whole_minute(
    make_app: MakeApp, clock: FakeClock, language: str, line: str
) -> None:
    """The demo runs at 10:03:34 (Beijing); its notice asks by 18:00 ten days on."""
    clock.moment = datetime(2026, 11, 25, 2, 3, 34, 5000, tzinfo=ZoneInfo("UTC"))
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await demo.fill(session, app.catalogs, app.settings, clock.now())
    contact = ChatClient(app, demo.CONSOLE[Role.CONTACT], language_code=language)
    await contact.send("/notices")
    await contact.press(contact.labels[0])
    assert contact.text.endswith(f"<i>{line}</i>")


# -- acknowledging ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "already"),
    [
        ("en", "You have already acknowledged “年度统计报表”."),
        ("zh-hans", "您已确认已阅“年度统计报表”，无需再次确认。"),
    ],
)
async def test_a_second_press_of_acknowledge_says_it_is_already_done(
    make_app: MakeApp, language: str, already: str
) -> None:
    app = await make_app()
    await seed(app)
    form = Form(app, "en")
    await form.up_to_ack("年度统计报表")
    await form.press("Yes, ask for acknowledgement")
    await form.press("No deadline")
    await form.press("Send now")
    await form.press("Confirm and send")
    sent = await copies(app)
    chat = EN if language == "en" else ZH
    contact = ChatClient(app, chat, language_code=language)
    contact.receive(Outcome(replies=[sent[chat]]))
    label = "✅ Acknowledge (已阅)" if language == "en" else "✅ 已阅"
    await contact.press(label)
    await contact.press(label)
    assert contact.text == already


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_report_names_recipients_as_the_roster_does(
    make_app: MakeApp, language: str
) -> None:
    """王建国 calls himself 建国 on Telegram: the report and its export say 王建国 (建国); a
    contact whose Telegram name is the roster's is named once."""
    app = await make_app()
    await seed(app)
    async with app.sessions() as session, session.begin():
        for telegram_id, roster, shown in ((EN, "王建国", "建国"), (ZH, "李芳", "李芳")):
            person = await people.by_telegram_id(session, telegram_id)
            assert person is not None
            person.display_name = shown
            contact = await session.scalar(select(Contact).where(Contact.person_id == person.id))
            assert contact is not None
            contact.name = roster
    form = Form(app, language)
    await form.up_to_ack("年度统计报表")
    await form.press("No")
    await form.press("Send now")
    await form.press("Confirm and send")
    await copies(app)

    report = await form.press("Report")
    lines = report.splitlines()
    assert any(line.startswith("测试单位 1 · 王建国 (建国) · ") for line in lines)
    assert any(line.startswith("测试单位 2 · 李芳 · ") for line in lines)
    assert "建国 ·" not in report.replace("王建国 (建国) ·", "")
    await form.press("Export CSV")
    [export] = form.admin.replies
    assert export.file is not None and export.file.content is not None
    rows = list(csv.reader(io.StringIO(export.file.content.decode("utf-8-sig"))))
    assert sorted(row[1] for row in rows[1:]) == ["李芳", "王建国 (建国)"]
