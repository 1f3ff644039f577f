"""A notice with a file at Telegram's length limit, over the Bot API on both engines: one
character too many (the 已阅 line included) is caught with how much to cut; at the limit, the
preview and every copy carry the whole text, then the file."""

from __future__ import annotations

import html
import re

from bot.app import App
from storage import people
from tests.conftest import ADMIN_ID, MakeApp
from tests.e2e.conftest import Engines, TelegramUser
from tests.support.factories import make_unit
from tests.support.fake_bot_api import Call, FakeBotApi

MEMBERS = (72101, 72102)
LIMIT = 4096
ASKED = "\n\nPlease acknowledge that you have read it."  # the longest line, the English one
FITS = LIMIT - len(ASKED)
TAG = re.compile(r"<[^>]+>")


def counted(text_html: str) -> int:
    """A formatted text's length as Telegram counts it: as read, in UTF-16 code units."""
    return len(html.unescape(TAG.sub("", text_html)).encode("utf-16-le")) // 2


def body(length: int) -> str:
    """A text `length` long as Telegram counts it (the emoji counts two)."""
    head = "📢 A&B 通知"
    return head + "字" * (length - counted(html.escape(head)))


async def seed(app: App) -> None:
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        for serial, telegram_id in enumerate(MEMBERS, start=1):
            await make_unit(session, now, serial, contact_telegram_id=telegram_id)
            person = await people.by_telegram_id(session, telegram_id)
            assert person is not None
            person.language_code = "en"


async def press(api: FakeBotApi, user: TelegramUser, message: Call, label: str) -> Call:
    """Presses a button and returns the bot's next message to that chat."""
    before = len(api.calls_of("sendMessage", user.to_me))
    await user.press(message, label)
    return (await api.wait_for("sendMessage", user.to_me, count=before + 1))[before]


async def test_a_notice_with_a_file_at_the_limit_and_one_over(
    api: FakeBotApi, engines: Engines, make_app: MakeApp
) -> None:
    app = await make_app()
    await seed(app)
    await engines.start()
    admin = TelegramUser(api, ADMIN_ID)
    await admin.send("/broadcast")
    await admin.send(body(FITS + 1))
    asked = await admin.send_document("议程.pdf", b"%PDF-1.4", "application/pdf")
    for label in ("No links", "All member units"):
        asked = await press(api, admin, asked, label)
    refused = await press(api, admin, asked, "Yes, ask for acknowledgement")
    assert refused.params["text"] == (
        "With the line that asks for the acknowledgement, the notice as it will be sent is up "
        "to 4097 characters long: 1 too many for Telegram, which allows 4096.\n"
        "Please send the text again, at least 1 character shorter."
    )

    asked = await admin.send(body(FITS))
    asked = await press(api, admin, asked, "No deadline")
    before = len(api.calls_of("sendMessage", admin.to_me))
    await admin.press(asked, "Send now")
    head, preview, ask = await _preview(api, admin, before)
    assert "exactly what 2 recipients will receive" in head.params["text"]
    assert counted(preview.params["text"]) == LIMIT and preview.params["parse_mode"] == "HTML"
    assert preview.params["text"].endswith(f"<i>{ASKED[2:]}</i>")
    [document] = api.calls_of("sendDocument", admin.to_me)
    assert document.at > preview.at and "caption" not in document.params

    await admin.press(ask, "Confirm and send")
    for member in MEMBERS:
        user = TelegramUser(api, member)
        [copy] = await api.wait_for("sendMessage", user.to_me)
        [file] = await api.wait_for("sendDocument", user.to_me)
        assert copy.params["text"] == preview.params["text"] and file.at > copy.at


async def _preview(api: FakeBotApi, admin: TelegramUser, before: int) -> list[Call]:
    await api.wait_for("sendDocument", admin.to_me)
    return (await api.wait_for("sendMessage", admin.to_me, count=before + 3))[before:]
