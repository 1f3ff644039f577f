"""Faults at the edges, on both engines: a poison update on the webhook, the Bot API down."""

from __future__ import annotations

from sqlalchemy import select

from bot.routing import Command
from storage.inbox_models import DeadLetter
from tests.e2e.conftest import Engines, TelegramUser, free_port
from tests.integration.test_faults import poison
from tests.support.fake_bot_api import FakeBotApi

GUEST = 5151


async def test_a_poison_update_on_the_webhook_gets_200_and_the_chat_goes_on(
    api: FakeBotApi, engines: Engines
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    engine = await engines.start(webhook_url=url, webhook_secret="s3cret", port=port)
    engine.app.dispatcher.routes.commands["poison"] = Command("poison", poison, "poison")
    guest = TelegramUser(api, GUEST)
    bad = api.user_message(GUEST, "/poison")
    assert await api.push_webhook(url, bad, "s3cret") == 200  # a 5xx would hold the chat back
    assert await api.push_webhook(url, bad, "s3cret") == 200  # redelivered: not run again
    later = api.user_message(GUEST, "/help")
    assert await api.push_webhook(url, later, "s3cret") == 200
    texts = [c.params["text"] for c in api.calls_of("sendMessage", guest.to_me)]
    assert len(texts) == 2 and texts[1].startswith("What you can do:")
    async with engine.app.sessions() as session:
        letters = (await session.scalars(select(DeadLetter))).all()
    assert [letter.update_key for letter in letters] == [f"tg:{bad}"]


async def test_the_bot_api_failing_a_reply_does_not_stop_the_bot(
    api: FakeBotApi, engines: Engines
) -> None:
    await engines.start()
    guest = TelegramUser(api, GUEST)
    api.faults.outage(seconds=3600, status=502)
    api.user_message(GUEST, "/help")
    await api.wait_for("sendMessage", guest.to_me)
    failed = api.calls_of("sendMessage", guest.to_me)
    assert failed and all(c.error_code == 502 for c in failed)
    api.faults.outage_until = 0.0  # Telegram is back
    answer = await guest.send("/help")
    assert answer.error_code is None and answer.params["text"].startswith("What you can do:")


async def test_a_bot_api_that_does_not_answer_times_out_and_the_chat_goes_on(
    api: FakeBotApi, engines: Engines
) -> None:
    await engines.start(telegram_timeout=1)
    guest = TelegramUser(api, GUEST)
    api.faults.hang_sends = True
    api.user_message(GUEST, "/help")
    await api.wait_until(lambda: api.hanging == 1)
    # The chat's next update is handled only after the first reply gave up: its own reply
    # hanging too shows the bot timed out and went on.
    api.user_message(GUEST, "/start")
    await api.wait_until(lambda: api.hanging == 2, timeout=30)
    api.release_sends()
    answer = await guest.send("/help")
    assert answer.error_code is None and answer.params["text"].startswith("What you can do:")
