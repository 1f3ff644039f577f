"""A notice over the Bot API, on both engines: the formatted text kept, the preview equal to
each copy, progress edited in place, the final report, an acknowledgement press."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from storage import people
from storage.notices_models import NoticeRecipient
from tests.conftest import ADMIN_ID, MakeApp
from tests.e2e.conftest import Engines, TelegramUser, button_data
from tests.support.factories import make_unit
from tests.support.fake_bot_api import Call, FakeBotApi

MEMBERS = (72001, 72002, 72003)
TEXT = "重要通知 请于周五前回复"
BOLD = [{"type": "bold", "offset": 0, "length": 4}]


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


async def test_a_broadcast_with_progress_report_and_acknowledgement(
    api: FakeBotApi, engines: Engines, make_app: MakeApp
) -> None:
    app = await make_app()
    await seed(app)
    await engines.start(send_rate=2, progress_interval=0.3, delivery_heartbeat=0.2)
    admin = TelegramUser(api, ADMIN_ID)

    await admin.send("/broadcast")
    before = len(api.calls_of("sendMessage", admin.to_me))
    api.user_message(ADMIN_ID, TEXT, entities=BOLD)
    asked = (await api.wait_for("sendMessage", admin.to_me, count=before + 1))[before]
    for label in ("No file", "No links", "All member units", "Yes, ask for acknowledgement"):
        asked = await press(api, admin, asked, label)
    asked = await press(api, admin, asked, "No deadline")
    before = len(api.calls_of("sendMessage", admin.to_me))
    await admin.press(asked, "Send now")
    await api.wait_for("sendMessage", admin.to_me, count=before + 3)
    head, preview, ask = api.calls_of("sendMessage", admin.to_me)[before : before + 3]
    assert "exactly what 3 recipients will receive" in head.params["text"]
    assert preview.params["parse_mode"] == "HTML"
    assert preview.params["text"].startswith("<b>重要通知</b> 请于周五前回复")

    sending = await press(api, admin, ask, "Confirm and send")
    assert "Sending “重要通知 请于周五前回复” to 3 recipients" in sending.params["text"]

    copies = [(await api.wait_for("sendMessage", TelegramUser(api, m).to_me))[0] for m in MEMBERS]
    for copy in copies:
        assert _visible(copy.params) == _visible(preview.params)
        assert copy.params["protect_content"] is True

    final = await api.wait_for(
        "editMessageText", lambda p: admin.to_me(p) and "is delivered" in p["text"]
    )
    assert "3 sent, 0 failed, 0 blocked, of 3" in final[0].params["text"]
    shown = [c for c in api.calls_of("sendMessage", admin.to_me) if " sent, " in c.params["text"]]
    progress = next(c for c in shown if c.params["text"].startswith("Sending “"))
    assert final[0].params["message_id"] == progress.result["message_id"]
    # Issue 20: the final report comes once, as the edit of the progress message.
    await admin.send("/help")  # handled after the report: a second copy would be in by now
    await api.wait_for("sendMessage", lambda p: admin.to_me(p) and "What you can do" in p["text"])
    twice = api.calls_of("sendMessage", lambda p: admin.to_me(p) and "is delivered" in p["text"])
    assert not twice

    member = TelegramUser(api, MEMBERS[0])
    thanks = await press(api, member, copies[0], "✅ Acknowledge (已阅)")
    assert "is recorded" in thanks.params["text"]
    async with app.sessions() as session:
        acked = await session.scalars(
            select(NoticeRecipient).where(NoticeRecipient.acknowledged_at.is_not(None))
        )
        assert len(acked.all()) == 1
    assert button_data(copies[1], "✅ Acknowledge (已阅)").startswith("nack:")


def _visible(params: dict[str, Any]) -> tuple[Any, ...]:
    """What a recipient sees: text, its formatting, the buttons."""
    return (params["text"], params.get("parse_mode"), params.get("reply_markup"))
