"""Issue 20: "Secretariat notes about invitations accepted arrive one per second and are still
arriving minutes later behind a broadcast". Routine notes to the secretariat are gathered:
each member gets one message a minute listing them, in their language, ahead of any
broadcast; none is lost on a restart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.delivery import api, notes
from bot.delivery.testing import RecordingTransport, deliver_queued, make_test_worker
from bot.delivery.transport import Blocked
from bot.protocol import Reply
from bot.reminders.scheduler import send_secretariat_notes
from bot.reminders.sweep import ReminderRuntime
from storage import outbox, people
from storage.models import Role
from storage.secretariat_notes_models import SecretariatNote
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_onboarding import GOOD, OTHER, import_file, links, roster
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock

SECRETARY_EN = 900_002


async def add_secretary(app: App, telegram_id: int, language: str) -> None:
    async with app.sessions() as session, session.begin():
        now = app.clock.now()
        person = await people.ensure(session, telegram_id, telegram_id, now, "Sec", language)
        await people.grant(session, person.id, Role.SECRETARIAT, None, now)


async def run_notes_job(app: App, clock: FakeClock) -> None:
    await send_secretariat_notes(
        ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, {})
    )


async def sent_to(app: App, clock: FakeClock, *chats: int) -> dict[int, list[str]]:
    """What the outbox sends now to each of `chats`, as the worker sends it."""
    transport = await deliver_queued(app.sessions, app.settings, clock, app.catalogs)
    return {chat: [s.reply.text for s in transport.to(chat)] for chat in chats}


async def waiting(app: App) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SecretariatNote)) or 0)


async def test_three_invitations_in_a_minute_make_one_message_in_each_language(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_username="dtpc_bot")
    admin = ChatClient(app, ADMIN_ID, language_code="zh-hans")
    await import_file(admin, roster(GOOD, OTHER))
    await admin.press("导入")
    await add_secretary(app, SECRETARY_EN, "en")
    payloads = await links(app)
    await sent_to(app, clock, ADMIN_ID)  # what the import queued, out of the way
    start = clock.now()  # the fake clock is at 10:00 in Shanghai

    for user, name, key in (
        (8101, "张三", ("contact", "张三")),
        (8103, "Test User", ("seat", "李四")),
        (8104, "孙八", ("contact", "孙八")),
    ):
        opened = await ChatClient(app, user, name=name).send(f"/start {payloads[key]}")
        assert [r.chat_id for r in opened.replies] == [None]  # the welcome only
        clock.advance(seconds=25)
    clock.moment = start + timedelta(seconds=59)
    await run_notes_job(app, clock)
    assert await sent_to(app, clock, ADMIN_ID, SECRETARY_EN) == {ADMIN_ID: [], SECRETARY_EN: []}

    clock.moment = start + timedelta(minutes=1)
    await run_notes_job(app, clock)
    assert await sent_to(app, clock, ADMIN_ID, SECRETARY_EN) == {
        ADMIN_ID: [
            "以下3条消息供您知悉：\n"
            "• 10:00 张三已接受邀请，成为北方铝业的单位联系人。\n"
            "• 10:00 李四 (Test User)已接受邀请，成为北方铝业的主任联席会成员。\n"
            "• 10:00 孙八已接受邀请，成为南方铜业的单位联系人。"
        ],
        SECRETARY_EN: [
            "3 notes for your information:\n"
            "• 10:00 张三 accepted the invitation as contact person of 北方铝业.\n"
            "• 10:00 李四 (Test User) accepted the invitation as seat holder of 北方铝业.\n"
            "• 10:00 孙八 accepted the invitation as contact person of 南方铜业."
        ],
    }
    assert await waiting(app) == 0
    await run_notes_job(app, clock)
    assert await sent_to(app, clock, ADMIN_ID, SECRETARY_EN) == {ADMIN_ID: [], SECRETARY_EN: []}


async def test_a_lone_note_reads_as_itself_and_survives_a_restart(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_username="dtpc_bot")
    admin = ChatClient(app, ADMIN_ID, language_code="zh-hans")
    await import_file(admin, roster(GOOD))
    await admin.press("导入")
    payloads = await links(app)
    await sent_to(app, clock, ADMIN_ID)
    await ChatClient(app, 8101, name="张三").send(f"/start {payloads['contact', '张三']}")

    restarted = await make_app(bot_username="dtpc_bot")  # the note is in the database
    clock.advance(minutes=5)
    await run_notes_job(restarted, clock)
    [note] = (await sent_to(restarted, clock, ADMIN_ID))[ADMIN_ID]
    assert note == "张三已接受邀请，成为北方铝业的单位联系人。"
    assert not any("a" <= letter.lower() <= "z" for letter in note)  # no English word


async def test_a_broadcast_under_way_does_not_hold_the_notes_back(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(send_rate=10, progress_interval=5)
    await ChatClient(app, ADMIN_ID).send("/help")  # reads English
    start = clock.now()
    async with app.sessions() as session, session.begin():
        replies = [Reply(f"notice to {chat}", chat_id=chat) for chat in range(10_000, 11_000)]
        await api.broadcast(
            session,
            replies,
            title="Notice",
            purpose="notice:1",
            starter_chat_id=ADMIN_ID,
            locale="en",
            now=start,
        )
        staff = await people.with_roles(session, [Role.SECRETARIAT])
        for name in ("A", "B"):
            await notes.gather(session, app.catalogs, staff, lambda t, n=name: n, start)
    transport = RecordingTransport(clock)
    worker = make_test_worker(app.sessions, transport, app.settings, clock, app.catalogs)
    await worker.start()
    while clock.now() < start + timedelta(minutes=1):
        await worker.step()
    await run_notes_job(app, clock)
    queued = clock.now()
    worker.wake()
    while not [s for s in transport.to(ADMIN_ID) if not s.edited and "note" in s.reply.text]:
        await worker.step()

    [note] = [s for s in transport.to(ADMIN_ID) if "note" in s.reply.text]
    assert note.reply.text == "2 notes for your information:\n• 10:00 A\n• 10:00 B"
    assert (note.at - queued).total_seconds() < 2  # the broadcast's queue is not waited out
    async with app.sessions() as session:
        assert (await outbox.counts(session)).open > 300  # still sending: 1000 at 10 a second


async def test_people_who_blocked_the_bot_are_told_together(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(send_rate=100)
    await ChatClient(app, ADMIN_ID).send("/help")  # reads English
    async with app.sessions() as session, session.begin():
        for chat, name in ((31, "Wang Wei"), (32, "Li Na")):
            await people.ensure(session, chat, chat, clock.now(), name, "en")
            await api.notify(session, Reply("hello", chat_id=chat), purpose="t", now=clock.now())
    transport = RecordingTransport(clock)
    for chat in (31, 32):
        transport.fail(chat, Blocked("Forbidden: bot was blocked by the user"))
    worker = make_test_worker(app.sessions, transport, app.settings, clock, app.catalogs)
    await worker.run_until_idle()
    assert transport.to(ADMIN_ID) == []  # not one message each

    clock.advance(minutes=1)
    await run_notes_job(app, clock)
    await worker.run_until_idle()
    [note] = transport.to(ADMIN_ID)
    assert note.reply.text.startswith("2 notes for your information:\n")
    assert "Wang Wei has blocked the bot" in note.reply.text
    assert "Li Na has blocked the bot" in note.reply.text
