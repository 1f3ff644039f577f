"""A group chat over HTTP, on each Telegram engine: a command gets only the one pointer line
with a link to the private chat, and the group's own talk gets no answer (DESIGN "Trust
rules")."""

from __future__ import annotations

from bot.engines.common import TelegramEngine
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Engines
from tests.support.fake_bot_api import FakeBotApi, Params

GROUP = -100_1234
POINTER = "Please use me in a private chat."


def to_group(params: Params) -> bool:
    return params.get("chat_id") == GROUP


async def test_a_command_in_a_group_gets_only_the_pointer(
    api: FakeBotApi, engines: Engines
) -> None:
    engine: TelegramEngine = await engines.start(bot_username="test_bot")
    assert engine.app.settings.bot_username == "test_bot"
    api.group_message(GROUP, ADMIN_ID, "/roster@test_bot")
    (pointer,) = await api.wait_for("sendMessage", to_group)
    assert pointer.params["text"] == POINTER
    link = {"text": "Open a private chat", "url": "https://t.me/test_bot"}
    assert pointer.params["reply_markup"]["inline_keyboard"] == [[link]]
    api.group_message(GROUP, ADMIN_ID, "13800138000, name@company.cn")  # chatter: silence
    api.group_message(GROUP, ADMIN_ID, "/help@other_bot")  # for another bot: silence
    api.group_message(GROUP, ADMIN_ID, "/join")  # a form is never started in a group
    await api.wait_for("sendMessage", to_group, count=2)
    assert api.texts(GROUP) == [POINTER, POINTER]
    assert not api.calls_of("sendMessage", lambda p: p.get("chat_id") == ADMIN_ID)
