"""The dispatch through the handlers, on SQLite and PostgreSQL, as a person would chat."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import App
from bot.context import Context
from bot.dispatch import UNKNOWN_COMMAND
from bot.errors import DomainError
from bot.routing import Command
from storage import people
from storage.db import create_engine
from storage.models import AuditEntry, Role
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient

GUEST = 4242


async def count(app: App, model: type) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_start_fits_the_role_and_sets_the_menu(make_app: MakeApp) -> None:
    app = await make_app()
    guest, admin = ChatClient(app, GUEST), ChatClient(app, ADMIN_ID)
    await guest.send("/start")
    assert "Welcome" in guest.text and "secretariat" not in guest.text
    assert [c.command for c in guest.last.menus[GUEST]] == [
        "start",
        "help",
        "language",
        "cancel",
        "join",
        "events",
        "docs",
        "notices",
        "mydata",
    ]
    await admin.send("/start")
    assert "signed in as the secretariat" in admin.text
    assert "grant" in [c.command for c in admin.last.menus[ADMIN_ID]]


async def test_help_lists_only_what_the_role_may_use(make_app: MakeApp) -> None:
    app = await make_app()
    guest, admin = ChatClient(app, GUEST), ChatClient(app, ADMIN_ID)
    await guest.send("/help")
    await admin.send("/help")
    assert "/grant" not in guest.text and "/grant" in admin.text


async def test_chinese_by_default_and_language_remembered(make_app: MakeApp) -> None:
    app = await make_app()
    person = ChatClient(app, GUEST, language_code="zh-hans")
    await person.send("/language")
    assert person.text == "请选择语言："
    await person.press("English")
    assert person.replies[0].text == "Language set to English." and person.replies[0].edit
    assert person.last.menus[GUEST][0].description == "Start, and see what this bot does for you"
    restarted = ChatClient(await make_app(), GUEST, language_code="zh-hans")
    await restarted.send("/help")
    assert restarted.text.startswith("What you can do:")


async def test_charter_by_button_and_by_deep_link(make_app: MakeApp) -> None:
    app = await make_app()
    guest = ChatClient(app, GUEST)
    await guest.send("/start")
    await guest.press("📄 The charter")
    charter = guest.replies[0].file
    assert charter is not None and "第二十条" in (charter.content or b"").decode()
    await guest.send("/start charter")
    assert guest.replies[0].file is not None
    await guest.send("/start nonsense_123")
    assert guest.text == "This link is not valid. Send /start to begin."


async def test_grant_form_survives_a_restart(make_app: MakeApp) -> None:
    admin = ChatClient(await make_app(), ADMIN_ID)
    await admin.send("/grant")
    assert "Telegram ID" in admin.text
    await admin.send("not a number")
    assert admin.text == "A Telegram ID is a positive number, like 123456789."
    await admin.send("555")
    assert "Which role for 555?" in admin.text
    pressed = admin.button_data("joint meeting seat")

    admin.app = await make_app()  # the bot restarts between two steps of the form
    await admin.send("leadership")
    assert admin.text == "Please choose one of the buttons above, or /cancel."
    await admin.press_data(pressed)
    assert admin.text == "Role “joint meeting seat” granted to 555."
    told = [r for r in admin.last.replies if r.chat_id == 555]
    assert told and "主任联席会成员" in told[0].text  # the grantee has no language yet: default
    assert "grant" not in [c.command for c in admin.last.menus[555]]
    await admin.press_data(pressed)  # the form is over: the old button is stale
    assert admin.last.alert == "This button is no longer valid. Send /start to begin again."


async def test_grant_in_one_line_and_revoke(make_app: MakeApp) -> None:
    app = await make_app()
    admin, other = ChatClient(app, ADMIN_ID), ChatClient(app, 777)
    await admin.send("/grant 777 secretariat")
    await other.send("/grant 778 expert")
    assert other.text == "Role “expert committee” granted to 778."
    await admin.send("/grant 777 secretariat")
    assert admin.text == "777 already holds the role “secretariat”."
    await admin.send("/grant 777 guest")
    assert admin.text.startswith("Unknown role “guest”.")
    await admin.send("/revoke 777 secretariat")
    assert admin.text == "Role “secretariat” removed from 777."
    await other.send("/grant 779 expert")
    assert other.text == "The command /grant is not available to you."
    assert await count(app, AuditEntry) == 4  # bootstrap, two grants, one revoke


async def test_last_secretariat_cannot_be_removed(make_app: MakeApp) -> None:
    admin = ChatClient(await make_app(), ADMIN_ID)
    await admin.send(f"/revoke {ADMIN_ID} secretariat")
    assert admin.text == "The last secretariat account cannot be removed."
    await admin.send("/help")
    assert "/grant" in admin.text


async def test_cancel_leaves_the_form(make_app: MakeApp) -> None:
    admin = ChatClient(await make_app(), ADMIN_ID)
    await admin.send("/grant")
    await admin.send("/cancel")
    assert admin.text == "Cancelled. Nothing was saved."
    await admin.send("555")
    assert admin.text.startswith("I wasn't expecting a message.")
    await admin.send("/cancel")
    assert admin.text == "There is nothing to cancel."


async def test_redelivered_update_is_handled_once(make_app: MakeApp) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/grant 801 expert", update_key="tg:1000")
    assert admin.text == "Role “expert committee” granted to 801."
    again = await admin.send("/grant 801 expert", update_key="tg:1000")
    assert again.duplicate and again.replies == []
    assert await count(app, AuditEntry) == 2


async def test_a_refusal_undoes_what_the_update_wrote_and_is_answered_once(
    make_app: MakeApp,
) -> None:
    app = await make_app()

    async def halfway(ctx: Context) -> None:
        await people.grant(ctx.session, ctx.person.id, Role.EXPERT, None, ctx.clock.now())
        raise DomainError(UNKNOWN_COMMAND, command="halfway")

    app.dispatcher.routes.commands["halfway"] = Command("halfway", halfway, "halfway")
    guest = ChatClient(app, GUEST)
    await guest.send("/halfway", update_key="tg:2000")
    assert guest.text == "I don't know the command /halfway. Send /help to see what you can do."
    again = await guest.send("/halfway", update_key="tg:2000")
    assert again.duplicate and again.replies == []
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, GUEST)
        assert person is not None  # the sender is known even when refused
        assert await people.roles_of(session, person.id) == {Role.GUEST}


async def test_forged_and_unknown_buttons_are_refused(make_app: MakeApp) -> None:
    app = await make_app()
    guest = ChatClient(app, GUEST)
    for data in ("grant:secretariat", "zz:1", "lang:xx", "lang", ""):
        await guest.press_data(data)
        assert guest.last.alert == "This button is no longer valid. Send /start to begin again."
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, GUEST)
        assert person is not None
        assert await people.roles_of(session, person.id) == {Role.GUEST}


async def test_role_is_checked_at_the_moment_of_use(make_app: MakeApp) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/grant 900 secretariat")
    second = ChatClient(app, 900)
    await second.send("/grant")
    await admin.send("/revoke 900 secretariat")
    await second.send("901")  # mid-form, the role is gone: the form no longer applies
    assert second.text.startswith("I wasn't expecting a message.")


async def test_bad_input_gets_a_translated_reply(make_app: MakeApp) -> None:
    app = await make_app()
    guest = ChatClient(app, GUEST, language_code="zh")
    await guest.send("/nosuchcommand")
    assert guest.text == "无法识别命令 /nosuchcommand。发送 /help 查看可用功能。"
    await guest.send("x" * 5000)
    assert guest.text == "消息过长（5000 个字符），请控制在 4096 个字符以内。"
    await guest.send_file("form.pdf", b"%PDF-1.4")
    assert guest.text.startswith("当前不需要文件")


async def test_database_down_is_answered(make_app: MakeApp) -> None:
    app = await make_app()
    await app.engine.dispose()
    unreachable = _unreachable_engine(app)
    app.dispatcher.sessions.configure(bind=unreachable)
    guest = ChatClient(app, GUEST)
    threads_before = set(threading.enumerate())
    try:
        await guest.send("/start")
    finally:
        await unreachable.dispose()
        # aiosqlite stops a failed connection's thread without awaiting it; the thread then
        # answers on this test's loop, which must still be open when it does.
        for thread in set(threading.enumerate()) - threads_before:
            if "_connection_worker_thread" in thread.name:
                await asyncio.to_thread(thread.join, 10)
    assert guest.text == "The service is briefly unavailable. Please try again in a minute."


def _unreachable_engine(app: App) -> AsyncEngine:
    if app.engine.dialect.name == "sqlite":
        return create_engine("sqlite+aiosqlite:////nonexistent/dir/bot.sqlite3")
    return create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
