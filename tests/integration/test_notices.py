"""Notices in chat, on SQLite and PostgreSQL: audiences, preview = sent, delivery through the
outbox, cancel mid-way, taking copies back, acknowledgements and their reminders, scheduled
sending, /notices for a late joiner, reports, drafts across a restart, the art. 33 path."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from pypdf import PdfWriter
from sqlalchemy import select

from bot.app import App
from bot.charter.notices import Audience, AudienceKind
from bot.delivery.testing import RecordingTransport, make_test_worker
from bot.delivery.transport import Blocked
from bot.protocol import Incoming, Outcome, Reply
from bot.reminders.kinds import reminder_kinds
from bot.reminders.sweep import ReminderRuntime, fire_due
from bot.services import notices
from storage import outbox, people
from storage.models import DeliveryStatus, OutboxMessage, Participation, Role, UnitStatus, UnitTier
from storage.notices_models import Notice, NoticeRecipient, NoticeStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import make_unit

A, B, C, SUSPENDED, LEADER, EXPERT, GUEST, LATE = 7101, 7102, 7103, 7104, 7105, 7106, 7107, 7108


async def seed(app: App) -> dict[str, int]:
    """Units A (smelting, director), B (mining, 内蒙古), C (processing, 北京), one suspended;
    a leadership seat holder, an expert, and a guest who only started the bot."""
    now = app.clock.now()
    ids = {}
    async with app.sessions() as session, session.begin():
        ids["A"] = (
            await make_unit(session, now, 1, contact_telegram_id=A, tier=UnitTier.DIRECTOR)
        ).id
        b = await make_unit(session, now, 2, contact_telegram_id=B, sub_sectors=("mining",))
        c = await make_unit(session, now, 3, contact_telegram_id=C, sub_sectors=("processing",))
        c.region = "北京"
        s = await make_unit(session, now, 4, contact_telegram_id=SUSPENDED)
        s.status = UnitStatus.SUSPENDED
        ids.update(B=b.id, C=c.id, S=s.id)
        for telegram_id, role in ((LEADER, Role.LEADERSHIP), (EXPERT, Role.EXPERT)):
            person = await people.ensure(session, telegram_id, telegram_id, now)
            await people.grant(session, person.id, role, None, now)
        await people.ensure(session, GUEST, GUEST, now)
        contact_a = await people.by_telegram_id(session, A)
        assert contact_a is not None
        contact_a.language_code = "en"  # as the secretariat's client, for preview == copy
    return ids


async def reached(app: App, audience: Audience) -> set[int]:
    async with app.sessions() as session:
        found = await notices.audience_people(session, audience)
        return {person.telegram_id for person, _ in found}


async def fill_form(
    admin: ChatClient,
    text: str = "年度工作会议通知",
    audience: str = "All member units",
    ack: bool = False,
    deadline: str | None = None,
    reminders: str | None = None,
    when: str | None = None,
) -> None:
    await admin.send("/broadcast")
    await admin.send(text)
    await admin.press("No file")
    await admin.send("报名 | https://example.cn/signup")
    await admin.press(audience)
    if not ack:
        await admin.press("No")
    else:
        await admin.press("Yes, ask for acknowledgement")
        await admin.send(deadline) if deadline else await admin.press("No deadline")
        if deadline:
            await admin.send(reminders) if reminders else await admin.press("No reminders")
    await admin.send(when) if when else await admin.press("Send now")


def worker(app: App, transport: RecordingTransport) -> Any:
    return make_test_worker(app.sessions, transport, app.settings, app.clock, app.catalogs)  # type: ignore[arg-type]


async def fire_reminders(app: App) -> None:
    runtime = ReminderRuntime(
        app.sessions, app.catalogs, app.clock, app.settings, reminder_kinds()
    )
    await fire_due(runtime)


async def the_notice(app: App) -> Notice:
    async with app.sessions() as session:
        found = await session.scalar(select(Notice).order_by(Notice.id.desc()))
        assert found is not None
        return found


# -- audiences ------------------------------------------------------------------------------


async def test_each_audience_resolves_to_exactly_the_right_people(make_app: MakeApp) -> None:
    """Art. 13(1), 15: member audiences leave the suspended unit out; roles are roles."""
    app = await make_app()
    ids = await seed(app)
    assert await reached(app, Audience(AudienceKind.MEMBERS)) == {A, B, C}
    assert await reached(app, Audience(AudienceKind.DIRECTORS)) == {A}
    assert await reached(app, Audience(AudienceKind.LEADERSHIP)) == {LEADER}
    assert await reached(app, Audience(AudienceKind.EXPERTS)) == {EXPERT}
    assert await reached(app, Audience(AudienceKind.SUB_SECTOR, "mining")) == {B}
    assert await reached(app, Audience(AudienceKind.REGION, "北京")) == {C}
    chosen = Audience(AudienceKind.UNITS, unit_ids=frozenset({ids["B"], ids["S"]}))
    assert await reached(app, chosen) == {B, SUSPENDED}
    everyone = {A, B, C, SUSPENDED, LEADER, EXPERT, GUEST, ADMIN_ID}
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/notices")  # the secretariat has started the bot too
    assert await reached(app, Audience(AudienceKind.EVERYONE)) == everyone


# -- the whole path -------------------------------------------------------------------------


async def test_preview_is_what_is_sent_and_delivery_reports_to_the_sender(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, ack=True, deadline="2026-12-10 18:00", reminders="2026-12-09 09:00")
    head, preview, ask = admin.replies
    assert "exactly what 3 recipients will receive" in head.text
    assert ask.text == "Send it?"
    await admin.press("Confirm and send")
    assert "Sending “年度工作会议通知” to 3 recipients" in admin.text

    transport = RecordingTransport(app.clock)
    await worker(app, transport).run_until_idle()
    [copy] = transport.to(A)
    assert copy.reply == Reply(
        preview.text, preview.buttons, preview.file, protect=True, chat_id=A, html=True
    )
    assert preview.buttons[0][0].url == "https://example.cn/signup"
    assert not transport.to(SUSPENDED)
    to_admin = [s.reply.text for s in transport.to(ADMIN_ID)]
    assert to_admin[0].startswith("Sending “年度工作会议通知”")  # progress, then edits
    assert any("is delivered: 3 sent, 0 failed, 0 blocked, of 3" in t for t in to_admin)


async def test_formatting_is_kept_as_written(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/broadcast")
    sender = admin.sender
    incoming = Incoming("t:fmt", sender, text="重要 通知", html="<b>重要</b> 通知")
    await admin.deliver(incoming)
    await admin.press("No file")
    await admin.press("No links")
    await admin.press("All member units")
    await admin.press("No")
    await admin.press("Send now")
    preview = admin.replies[1]
    assert preview.html and preview.text.startswith("<b>重要</b> 通知")


async def test_blocked_contact_is_reported_not_retried(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin)
    await admin.press("Confirm and send")
    transport = RecordingTransport(app.clock)
    transport.fail(B, Blocked("Forbidden: bot was blocked by the user"))
    await worker(app, transport).run_until_idle()
    assert len([a for a in transport.attempts if a[0] == B]) == 1
    notice = await the_notice(app)
    async with app.sessions() as session:
        rows = await notices.stored.report(session, notice.id)
        table = notices.report_table(rows, app.catalogs.translator("en"))
    assert sorted(line[2] for line in table) == ["blocked the bot", "delivered", "delivered"]
    final = transport.to(ADMIN_ID)[-1].reply.text
    assert "1 blocked" in final


async def test_cancel_mid_way_stops_further_sends(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app(send_rate=1)
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin)
    await admin.press("Confirm and send")
    notice = await the_notice(app)
    async with app.sessions() as session, session.begin():
        # one copy has gone, as if the worker had sent it before the cancel
        first = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.batch_id == notice.batch_id).limit(1)
        )
        assert first is not None
        first.status, first.message_id, first.sent_at = DeliveryStatus.SENT, 99, clock.now()
    await admin.press("Cancel sending")
    assert "2 copies not yet sent will not be sent" in admin.text
    transport = RecordingTransport(app.clock)
    await worker(app, transport).run_until_idle()
    assert not [s for s in transport.messages() if s.chat_id != ADMIN_ID]
    async with app.sessions() as session:
        counts = await outbox.counts(session, notice.batch_id)
    assert (counts.sent, counts.cancelled, counts.total) == (1, 2, 3)
    report = transport.to(ADMIN_ID)[-1].reply.text
    assert "2 were not sent: the sending was cancelled." in report


async def test_sent_copies_are_deleted_on_request_through_the_outbox(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin)
    await admin.press("Confirm and send")
    transport = RecordingTransport(app.clock)
    await worker(app, transport).run_until_idle()
    sent = {(s.chat_id, s.message_id) for s in transport.messages() if s.chat_id in (A, B, C)}
    await admin.press("Delete sent copies…")
    await admin.press("Yes, delete the copies")
    assert "Deleting 3 copies" in admin.text, admin.last
    await worker(app, transport).run_until_idle()
    assert set(transport.deleted) == sent


async def test_copies_older_than_48_hours_are_not_deleted(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin)
    await admin.press("Confirm and send")
    await worker(app, RecordingTransport(app.clock)).run_until_idle()
    clock.advance(hours=49)
    await admin.press("Delete sent copies…")
    await admin.press("Yes, delete the copies")
    assert "Telegram allows deleting only for 48 hours" in (admin.last.alert or "")


# -- acknowledgements -----------------------------------------------------------------------


async def test_acknowledgement_is_participation_and_reminders_skip_who_acknowledged(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    ids = await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, ack=True, deadline="2026-12-10 18:00", reminders="2026-12-09 09:00")
    await admin.press("Confirm and send")
    transport = RecordingTransport(app.clock)
    await worker(app, transport).run_until_idle()

    a = ChatClient(app, A)
    a.receive(arrived(transport.to(A)[-1].reply))
    await a.press("✅ Acknowledge (已阅)")
    assert "your acknowledgement of “年度工作会议通知” is recorded" in a.text
    await a.press("✅ Acknowledge (已阅)")
    assert "already acknowledged" in a.text
    outsider = ChatClient(app, GUEST)
    notice = await the_notice(app)
    await outsider.press_data(f"nack:{notice.id}")
    assert outsider.last.alert == "This notice is not addressed to you."

    async with app.sessions() as session:
        acts = (await session.scalars(select(Participation))).all()
    assert [(p.unit_id, p.kind) for p in acts] == [(ids["A"], "acknowledgement")]

    clock.moment = notices.datetime.fromisoformat(notice.remind_at[0]) + timedelta(minutes=1)
    await fire_reminders(app)
    before = len(transport.sent)
    await worker(app, transport).run_until_idle()
    ack = f"nack:{notice.id}"
    carry = [
        s for s in transport.sent[before:] if ack in {b.data for r in s.reply.buttons for b in r}
    ]
    assert {s.chat_id for s in carry} == {B, C}  # A acknowledged: not reminded
    assert all("提醒" in s.reply.text for s in carry)
    told = [s.reply.text for s in transport.sent[before:] if s.chat_id == ADMIN_ID]
    assert any("Reminded 2 recipients" in text for text in told)

    await admin.press_data(f"nm:rep:{notice.id}")
    assert "3 recipients, 1 acknowledged" in admin.text
    assert "Units that acknowledged: 测试单位 1" in admin.text


def arrived(reply: Reply) -> Outcome:
    """A message the worker delivered, as the chat client receives it."""
    return Outcome(replies=[reply])


# -- time -----------------------------------------------------------------------------------


async def test_a_scheduled_notice_goes_at_its_time(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, when="2026-11-26 09:00")  # Shanghai; the clock is 25th 10:00
    await admin.press("Confirm and send")
    assert "Scheduled: “年度工作会议通知” goes to 3 recipients" in admin.text
    transport = RecordingTransport(app.clock)
    await fire_reminders(app)
    await worker(app, transport).run_until_idle()
    assert not transport.to(A)
    clock.advance(hours=22, minutes=59)  # 08:59 in Shanghai
    await fire_reminders(app)
    await worker(app, transport).run_until_idle()
    assert not transport.to(A)
    clock.advance(minutes=1)
    await fire_reminders(app)
    await worker(app, transport).run_until_idle()
    assert {A, B, C} <= {s.chat_id for s in transport.messages()}
    assert (await the_notice(app)).status is NoticeStatus.SENDING


async def test_a_scheduled_notice_cancelled_never_goes(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, when="2026-11-26 09:00")
    await admin.press("Confirm and send")
    await admin.press("Cancel sending")
    clock.advance(days=2)
    await fire_reminders(app)
    transport = RecordingTransport(app.clock)
    await worker(app, transport).run_until_idle()
    assert not transport.to(A)


# -- what contacts see ---------------------------------------------------------------------


async def test_a_late_joiner_sees_a_current_notice_and_may_acknowledge(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, ack=True, deadline="2026-12-10 18:00", reminders="2026-12-09 09:00")
    await admin.press("Confirm and send")
    async with app.sessions() as session, session.begin():
        await make_unit(session, app.clock.now(), 9, contact_telegram_id=LATE)
    late = ChatClient(app, LATE)
    await late.send("/notices")
    assert "年度工作会议通知" in late.text
    await late.press("年度工作会议通知")
    assert late.replies[0].text.startswith("年度工作会议通知")
    await late.press("✅ Acknowledge (已阅)")
    assert "is recorded" in late.text
    suspended = ChatClient(app, SUSPENDED)  # a member audience leaves a suspended unit out
    await suspended.send("/notices")
    assert suspended.text == "There are no recent notices for you."


async def test_report_exports_csv(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin)
    await admin.press("Confirm and send")
    await worker(app, RecordingTransport(app.clock)).run_until_idle()
    await admin.press("Export CSV")
    [reply] = admin.replies
    assert reply.file is not None and reply.file.content is not None
    rows = list(csv.reader(io.StringIO(reply.file.content.decode("utf-8-sig"))))
    assert rows[0] == ["Unit", "Recipient", "Delivery", "Reason", "Acknowledged"]
    assert sorted(r[0] for r in rows[1:]) == ["测试单位 1", "测试单位 2", "测试单位 3"]


# -- drafts ---------------------------------------------------------------------------------


async def test_a_half_written_notice_survives_a_restart(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/broadcast")
    await admin.send("重启前写的通知")
    await admin.press("No file")
    await app.close()
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/broadcast")
    await admin.press("Continue")
    assert "Link buttons under the notice" in admin.text
    await admin.press("No links")
    await admin.press("Director and deputy-director units")
    await admin.press("No")
    await admin.press("Send now")
    assert admin.replies[1].text == "重启前写的通知"
    assert "exactly what 1 recipient will receive" in admin.replies[0].text


async def test_change_from_the_preview_keeps_the_rest(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin)
    await admin.press("Change…")
    await admin.press("Audience")
    await admin.press("A sub-sector…")
    await admin.press("mining and beneficiation")
    head, preview, _ = admin.replies
    assert "exactly what 1 recipient will receive" in head.text
    assert preview.text == "年度工作会议通知"
    async with app.sessions() as session:
        drafts = (await session.scalars(select(Notice))).all()
    assert len(drafts) == 1  # the same draft, changed


# -- art. 33 ----------------------------------------------------------------------------------


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_fund_report_goes_to_members_as_a_members_document(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data("nfund:2025")
    assert "report on the use of funds" in admin.text
    await admin.send_file("经费使用情况2025.pdf", blank_pdf())
    assert "short note" in admin.text, admin.last
    await admin.send("2025年度经费使用情况，请查阅。")
    await admin.press("No")
    await admin.press("Send now")
    await admin.press("Confirm and send")
    assert "to 3 recipients" in admin.text
    notice = await the_notice(app)
    assert notice.document_id is not None
    transport = RecordingTransport(app.clock)
    await worker(app, transport).run_until_idle()
    [copy] = transport.to(B)
    assert copy.reply.buttons[0][0].data == f"doc:{notice.document_id}:notice"
    async with app.sessions() as session:
        assert await session.scalar(select(NoticeRecipient.id).limit(1)) is not None


async def test_a_guest_lists_the_notices_sent_to_everyone_and_no_others(make_app: MakeApp) -> None:
    app = await make_app()
    await seed(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, text="开放日通知", audience="Everyone who has started the bot")
    await admin.press("Confirm and send")
    await fill_form(admin, text="仅限成员的通知")
    await admin.press("Confirm and send")
    guest = ChatClient(app, GUEST)
    await guest.send("/notices")
    assert "开放日通知" in guest.text and "仅限成员的通知" not in guest.text
