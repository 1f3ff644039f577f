"""A vote pressed twice, through each engine and the fake Bot API (issue 20, "As people read
it"): the first press confirms in place; the same press again is answered on the button only,
with no second, identical confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.settings import Settings
from storage.models import OutboxMessage
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Engines, TelegramUser
from tests.support.clock import FakeClock
from tests.support.fake_bot_api import Call, FakeBotApi
from tests.support.world import HOLDERS, World, build_world

REPLIES = ("sendMessage", "sendDocument", "editMessageText")


async def meeting_under_way(database_url: str) -> World:
    """The hardening tests' center, its meeting under way now: the first motion (an open
    ballot, "Work plan") is open, the director unit's two seat holders checked in."""
    clock = FakeClock(datetime.now(UTC) - timedelta(days=16, minutes=1))
    settings = Settings(_env_file=None, database_url=database_url, admin_ids=(ADMIN_ID,))
    app = await build_app(settings, clock)
    world = await build_world(app, clock)
    await app.close()
    return world


def replies_to(api: FakeBotApi, user: TelegramUser) -> list[Call]:
    """Everything the bot tried to show in the chat, refused edits included."""
    return [c for c in api.calls if c.method in REPLIES and user.to_me(c.params)]


def buttons(call: Call) -> list[str]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [b.get("callback_data") or "" for row in rows for b in row]


async def reply_with_button(api: FakeBotApi, user: TelegramUser, data: str, since: int) -> Call:
    """The first reply from `since` on with a button `data`: the outbox may deliver other
    messages (the meeting's check-in call) in between."""

    def found() -> list[Call]:
        return [c for c in replies_to(api, user)[since:] if data in buttons(c)]

    await api.wait_until(lambda: bool(found()))
    return found()[0]


@pytest.mark.parametrize(
    ("user_id", "language", "confirmed", "answered"),
    [
        (
            HOLDERS[0],
            "en",
            "Motion 1, Work plan: your vote is “For” for 测试单位 10.\n"
            "You may change it until the vote closes.",
            "You have already voted “For”.",
        ),
        (
            HOLDERS[1],
            "zh-hans",
            "议案1，Work plan：您已代表测试单位 10投“赞成”票。\n表决结束前可以更改。",
            "您已投“赞成”票。",
        ),
    ],
)
async def test_the_same_vote_pressed_again_is_answered_on_the_button_only(
    api: FakeBotApi,
    engines: Engines,
    database_url: str,
    user_id: int,
    language: str,
    confirmed: str,
    answered: str,
) -> None:
    world = await meeting_under_way(database_url)
    engine = await engines.start()
    holder = TelegramUser(api, user_id, language)
    async with engine.app.sessions() as session:  # the meeting's calls, from the outbox
        queued = set(
            await session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.chat_id == user_id)
            )
        )
    await api.wait_until(lambda: queued <= {c.params.get("text") for c in replies_to(api, holder)})
    card_data, vote = f"mc:{world.meeting_id}", f"mv:{world.motion_ids[0]}:for"
    api.user_message(user_id, "/meetings", language)
    listing = await reply_with_button(api, holder, card_data, 0)
    before = len(replies_to(api, holder))
    await holder.press_data(listing.result["message_id"], card_data)
    card = await reply_with_button(api, holder, vote, before)

    before = len(replies_to(api, holder))
    first = await holder.press_data(card.result["message_id"], vote)
    await api.wait_until(lambda: len(replies_to(api, holder)) > before)
    confirmation = replies_to(api, holder)[before]
    assert first.params.get("text") is None
    assert confirmation.method == "editMessageText"
    assert confirmation.params["text"] == confirmed

    before = len(replies_to(api, holder))
    again = await holder.press_data(card.result["message_id"], vote)
    assert again.params.get("text") == answered
    assert not again.params.get("show_alert"), "a toast that fades, not an alert to dismiss"
    await holder.send("/meetings")  # handled after the press: anything it sent came before
    assert [c.method for c in replies_to(api, holder)[before:]] == ["sendMessage"]
