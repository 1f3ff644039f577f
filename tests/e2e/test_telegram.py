"""The bot over HTTP, on each Telegram engine, against the fake Bot API server.

Every test runs on aiogram and python-telegram-bot, on SQLite and PostgreSQL (the one that
runs `python -m bot` as a process: on SQLite only), and asserts on what the fake server got.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bot.engines.common import TelegramEngine
from bot.protocol import OutgoingFile, Reply
from bot.routing import Command
from handlers.welcome import CHARTER
from storage.models import Role
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import (
    TOKEN,
    WAIT,
    DispatchLog,
    Engines,
    TelegramUser,
    bot_env,
    chat_scope,
    command_names,
    free_port,
)
from tests.support.fake_bot_api import FakeBotApi

ALICE, BOB, GRANTEE = 4242, 4343, 555_000
PROCESS_START = 30  # seconds for `python -m bot` to import, migrate and answer
STALE = "This button is no longer valid. Send /start to begin again."


def menu_of(engine: TelegramEngine, *roles: Role) -> list[str]:
    """The commands the route table gives to people holding `roles` (and guest)."""
    return [c.name for c in engine.app.dispatcher.routes.menu_for(frozenset({Role.GUEST, *roles}))]


async def test_start_polls_and_sets_default_menus(api: FakeBotApi, engine: TelegramEngine) -> None:
    """Polling mode drops any webhook, sets the guest menu per language, and the admin's own."""
    await TelegramUser(api, ALICE).send("/help")
    assert api.calls_of("deleteWebhook") and api.calls_of("getUpdates")
    guest_menu = menu_of(engine)
    assert {"start", "help", "language"} <= set(guest_menu)
    assert api.menu() == guest_menu  # the default locale (Chinese): no language code
    assert api.menu(language_code="en") == guest_menu
    default = api.calls_of("setMyCommands", lambda p: p["scope"] == {"type": "default"})
    descriptions = {p.params.get("language_code"): p.params["commands"][0] for p in default}
    assert descriptions["en"]["description"] == "Start, and see what this bot does for you"
    assert descriptions[None]["description"] == "开始使用，了解本机器人能为您做什么"
    assert api.menu(ADMIN_ID) == menu_of(engine, Role.SECRETARIAT)
    assert "grant" in menu_of(engine, Role.SECRETARIAT)


async def test_start_welcomes_and_sets_the_chat_menu(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """/start answers with a welcome and the charter button, and sets the person's menu."""
    alice = TelegramUser(api, ALICE)
    welcome = await alice.send("/start")
    assert welcome.params["text"].startswith("Welcome to the DTPC-NMI member bot")
    keyboard = welcome.params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [["📄 The charter"]]
    menu = await api.wait_for("setMyCommands", chat_scope(ALICE))
    assert command_names(menu[0]) == menu_of(engine)


async def test_charter_button_sends_the_charter_file(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """Pressing the charter button answers the press and uploads docs/charter-zh.txt."""
    alice = TelegramUser(api, ALICE)
    welcome = await alice.send("/start")
    answer = await alice.press(welcome, "📄 The charter")
    assert not answer.params.get("text")
    sent = await api.wait_for("sendDocument", alice.to_me)
    document = sent[0].params["document"]
    assert (document.name, document.content) == ("charter-zh.txt", CHARTER.read_bytes())
    assert sent[0].params["caption"] == "The charter of DTPC-NMI (draft, in Chinese)."
    assert not sent[0].params.get("protect_content")  # the charter is public


async def test_language_choice_edits_in_place_and_resets_the_menu(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """A Chinese speaker picks English: the question becomes the answer, the menu English."""
    bob = TelegramUser(api, BOB, language_code="zh-hans")
    question = await bob.send("/language")
    assert question.params["text"] == "请选择语言："
    menus_before = len(api.calls_of("setMyCommands", chat_scope(BOB)))
    await bob.press(question, "English")
    edit = await api.wait_for("editMessageText", bob.to_me)
    assert edit[0].params["message_id"] == question.result["message_id"]
    assert edit[0].params["text"] == "Language set to English."
    assert api.texts(BOB) == ["Language set to English."]  # edited, not a new message
    menu = await api.wait_for("setMyCommands", chat_scope(BOB), count=menus_before + 1)
    assert menu[-1].params["commands"][0]["description"].startswith("Start, and see")


async def test_chinese_client_gets_chinese(api: FakeBotApi, engine: TelegramEngine) -> None:
    """Telegram's `zh-hans` language code means Simplified Chinese, replies and menu."""
    bob = TelegramUser(api, BOB, language_code="zh-hans")
    welcome = await bob.send("/start")
    assert welcome.params["text"].startswith("欢迎使用有色金属行业数字化转型推进中心")
    menu = await api.wait_for("setMyCommands", chat_scope(BOB))
    assert menu[0].params["commands"][1]["description"] == "查看可用功能"


async def test_admin_grants_a_role_in_chat(api: FakeBotApi, engine: TelegramEngine) -> None:
    """/grant, an id, a role button: the grantee is told and gets their role's menu."""
    admin = TelegramUser(api, ADMIN_ID)
    asked = await admin.send("/grant")
    assert asked.params["text"].startswith("Send the Telegram ID of the person")
    roles = await admin.send(str(GRANTEE))
    assert roles.params["text"] == f"Which role for {GRANTEE}?"
    await admin.press(roles, "joint meeting seat")
    done = await api.wait_for("sendMessage", admin.to_me, count=3)
    assert done[-1].params["text"] == f"Role “joint meeting seat” granted to {GRANTEE}."
    told = await api.wait_for("sendMessage", lambda p: p["chat_id"] == GRANTEE)
    assert told[0].params["text"].startswith("您已被授予角色“主任联席会成员”")
    menu = await api.wait_for("setMyCommands", chat_scope(GRANTEE))
    assert command_names(menu[-1]) == menu_of(engine, Role.LEADERSHIP)
    assert not {"grant", "revoke"} & set(command_names(menu[-1]))


async def test_a_redelivered_update_is_handled_once(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """Telegram sending the same update twice gets one reply."""
    alice, dispatch = TelegramUser(api, ALICE), DispatchLog(engine)
    await alice.send("/start")
    update_id = max(api.updates)
    api.redeliver(update_id)
    outcomes = await dispatch.wait_for(f"tg:{update_id}", count=2)
    assert outcomes[1].duplicate
    await alice.send("/help")  # sent after the redelivered update was carried out
    assert [t.split("\n")[0] for t in api.texts(ALICE)] == [
        "Welcome to the DTPC-NMI member bot (有色金属行业数字化转型推进中心).",
        "What you can do:",
    ]


async def test_forged_and_stale_buttons_are_refused_on_the_button(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """A guest pressing a secretariat button, or unknown data, gets an alert; nothing else."""
    alice = TelegramUser(api, ALICE)
    for data in ("grant:secretariat", "zz:1"):
        answer = await alice.press_data(message_id=1, data=data)
        assert answer.params["text"] == STALE
        assert answer.params["show_alert"] is True
    assert api.texts(ALICE) == []
    assert (await alice.send("/help")).params["text"].startswith("What you can do:")


async def test_an_unexpected_document_is_answered(api: FakeBotApi, engine: TelegramEngine) -> None:
    """A file no form asked for gets the translated 'not expecting a file' reply."""
    alice = TelegramUser(api, ALICE)
    reply = await alice.send_document("form.pdf", b"%PDF-1.4 stamped", "application/pdf")
    assert reply.params["text"] == "I wasn't expecting a file. Send /help to see what you can do."


async def test_an_uploaded_file_is_downloaded_on_demand(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """The engine hands the dispatcher a file whose bytes come through getFile."""
    dispatch = DispatchLog(engine)
    await TelegramUser(api, ALICE).send_document("form.pdf", b"%PDF-1.4", "application/pdf")
    [(incoming, _outcome)] = dispatch.handled
    assert incoming.file is not None and incoming.file.fetch is not None
    assert (incoming.file.name, incoming.file.mime_type) == ("form.pdf", "application/pdf")
    assert await incoming.file.fetch() == b"%PDF-1.4"
    assert api.calls_of("getFile")


async def test_an_unknown_command_is_answered(api: FakeBotApi, engine: TelegramEngine) -> None:
    reply = await TelegramUser(api, ALICE).send("/frobnicate")
    assert reply.params["text"].startswith("I don't know the command /frobnicate.")


async def test_protected_files_and_long_captions(api: FakeBotApi, engine: TelegramEngine) -> None:
    """A protected file goes out with protect_content; a text too long for a caption goes first."""
    long_text = "Minutes of the joint meeting. " * 50

    async def minutes(_ctx: object) -> list[Reply]:
        file = OutgoingFile("minutes.txt", content=b"confidential")
        return [Reply("Short caption", file=file, protect=True), Reply(long_text, file=file)]

    routes = engine.app.dispatcher.routes
    routes.commands["minutes"] = Command("minutes", minutes, "test only", in_menu=False)
    alice = TelegramUser(api, ALICE)
    first = await alice.send("/minutes", reply="sendDocument")
    assert first.params["caption"] == "Short caption"
    assert first.params["protect_content"] is True
    assert first.params["document"].content == b"confidential"
    second = await api.wait_for("sendDocument", alice.to_me, count=2)
    assert not second[1].params.get("caption")
    assert not second[1].params.get("protect_content")
    assert api.texts(ALICE)[1] == long_text  # sent as a message just before the file


async def test_webhook_checks_the_secret_token(api: FakeBotApi, engines: Engines) -> None:
    """Webhook mode registers itself; updates without the right secret token are refused."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    await engines.start(webhook_url=url, webhook_secret="s3cret", port=port)
    registered = api.calls_of("setWebhook")
    assert [(c.params["url"], c.params["secret_token"]) for c in registered] == [(url, "s3cret")]
    forged = api.user_message(ALICE, "/help")
    assert await api.push_webhook(url, forged, "wrong") in (401, 403)
    assert await api.push_webhook(url, forged, None) in (401, 403)
    genuine = api.user_message(ALICE, "/start")
    assert await api.push_webhook(url, genuine, "s3cret") == 200
    welcome = await api.wait_for("sendMessage", lambda p: p["chat_id"] == ALICE)
    assert welcome[0].params["text"].startswith("Welcome")
    assert not api.calls_of("getUpdates")
    assert len(api.texts(ALICE)) == 1


async def test_copies_of_an_update_posted_at_once_get_one_reply(
    api: FakeBotApi, engines: Engines
) -> None:
    """Telegram re-posting an update while the first post is in hand: still one reply."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    await engines.start(webhook_url=url, webhook_secret="s3cret", port=port)
    start = api.user_message(ALICE, "/start")
    await asyncio.gather(*(api.push_webhook(url, start, "s3cret") for _ in range(3)))
    help_ = api.user_message(ALICE, "/help")
    await api.push_webhook(url, help_, "s3cret")
    await api.wait_for("sendMessage", lambda p: p["text"].startswith("What you can do:"))
    assert len(api.texts(ALICE)) == 2, api.texts(ALICE)


async def test_a_chat_that_blocked_the_bot_does_not_stop_the_others(
    api: FakeBotApi, engine: TelegramEngine
) -> None:
    """The grantee blocked the bot (403): the secretariat still gets its confirmation."""
    api.faults.blocked_chats.add(GRANTEE)
    admin = TelegramUser(api, ADMIN_ID)
    done = await admin.send(f"/grant {GRANTEE} expert")
    assert done.params["text"] == f"Role “expert committee” granted to {GRANTEE}."
    refused = await api.wait_for("sendMessage", lambda p: p["chat_id"] == GRANTEE)
    assert refused[0].error_code == 403
    # The secretariat hears of it in the note gathered a minute later (issue 20), tested with
    # the injected clock in tests/integration/test_secretariat_notes.py.
    assert (await admin.send("/help")).params["text"].startswith("What you can do:")


async def test_stopping_finishes_the_update_in_hand(api: FakeBotApi, engines: Engines) -> None:
    """A stop (SIGTERM) while an update is being handled lets its reply go out first."""
    engine = await engines.start()
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(_ctx: object) -> Reply:
        started.set()
        await release.wait()
        return Reply("done")

    engine.app.dispatcher.routes.commands["slow"] = Command("slow", slow, "test", in_menu=False)
    api.user_message(ALICE, "/slow")
    await asyncio.wait_for(started.wait(), WAIT)
    engine.stop()
    release.set()
    await asyncio.wait_for(asyncio.shield(engines.running[engine]), WAIT)
    assert api.texts(ALICE) == ["done"]  # already sent when run() returned
    await engines.stop(engine)


async def test_sigterm_stops_the_bot_process(
    api: FakeBotApi, engine_name: str, tmp_path: Path
) -> None:
    """`python -m bot` answers on Telegram and exits cleanly on SIGTERM, on either engine."""
    env = bot_env(
        BOT_TOKEN=TOKEN,
        BOT_ENGINE=engine_name,
        TELEGRAM_API_URL=api.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",  # signals don't depend on it
        POLLING_TIMEOUT="1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        api.user_message(ALICE, "/start")
        welcome = await api.wait_for("sendMessage", timeout=PROCESS_START)
        assert welcome[0].params["text"].startswith("Welcome")
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), PROCESS_START)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err
