"""The fake Bot API server itself: answers, long polling, rate limits and injected faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.support.fake_bot_api import FakeBotApi, Faults, RateLimits

TOKEN = "123:TEST"


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def call(http: ClientSession, api: FakeBotApi, method: str, **params: Any) -> dict:
    """Calls a method with a JSON body, as a plain HTTP client would."""
    async with http.post(f"{api.url}/bot{TOKEN}/{method}", json=params) as response:
        body = await response.json()
        assert response.status == body.get("error_code", 200)
        return body


async def test_answers_like_telegram(http: ClientSession) -> None:
    async with FakeBotApi(TOKEN) as api:
        assert (await call(http, api, "getMe"))["result"]["is_bot"] is True
        sent = await call(http, api, "sendMessage", chat_id=7, text="hi")
        assert sent["result"]["chat"]["id"] == 7 and sent["result"]["text"] == "hi"
        assert await call(http, api, "frobnicate") == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        async with http.get(f"{api.url}/botWRONG/getMe") as response:
            assert response.status == 401
        assert [c.method for c in api.calls] == ["getMe", "sendMessage", "frobnicate", "getMe"]


async def test_long_polling_waits_and_wakes(http: ClientSession) -> None:
    async with FakeBotApi(TOKEN) as api:
        started = time.monotonic()
        assert (await call(http, api, "getUpdates", timeout=0.2))["result"] == []
        assert time.monotonic() - started >= 0.2
        polling = asyncio.create_task(call(http, api, "getUpdates", timeout=30))
        await asyncio.sleep(0.05)  # the poll is waiting on the server
        update_id = api.user_message(7, "/start")
        updates = (await asyncio.wait_for(polling, 5))["result"]
        assert [u["update_id"] for u in updates] == [update_id]
        confirmed = await call(http, api, "getUpdates", offset=update_id + 1, timeout=0)
        assert confirmed["result"] == []


async def test_rate_limits(http: ClientSession) -> None:
    """At most 1 message a second per chat, and `overall_per_second` in all."""
    async with FakeBotApi(TOKEN, rate_limits=RateLimits(overall_per_second=3)) as api:
        assert (await call(http, api, "sendMessage", chat_id=1, text="a"))["ok"]
        again = await call(http, api, "sendMessage", chat_id=1, text="b")
        assert again["error_code"] == 429 and again["parameters"]["retry_after"] == 1
        for chat_id in (2, 3):
            assert (await call(http, api, "sendMessage", chat_id=chat_id, text="a"))["ok"]
        assert (await call(http, api, "sendMessage", chat_id=4, text="a"))["error_code"] == 429


async def test_injected_faults(http: ClientSession) -> None:
    faults = Faults(flood_fraction=1.0, flood_retry_after=7, blocked_chats={2})
    async with FakeBotApi(TOKEN, faults=faults) as api:
        blocked = await call(http, api, "sendMessage", chat_id=2, text="a")
        assert blocked["description"] == "Forbidden: bot was blocked by the user"
        flooded = await call(http, api, "sendMessage", chat_id=1, text="a")
        assert flooded["parameters"] == {"retry_after": 7}
        faults.flood_fraction = 0.0
        faults.outage(60)
        assert (await call(http, api, "sendMessage", chat_id=1, text="a"))["error_code"] == 502
        assert (await call(http, api, "getMe"))["ok"]  # only sends fail
        faults.outage_until = 0.0
        assert (await call(http, api, "sendMessage", chat_id=1, text="a"))["ok"]
        assert [c.error_code for c in api.calls_of("sendMessage")] == [403, 429, 502, None]


async def test_lengths_are_counted_as_telegram_counts_them(http: ClientSession) -> None:
    """4,096 for a text and 1,024 for a caption, on the text as read, in UTF-16 units."""
    async with FakeBotApi(TOKEN) as api:
        fits = "<b>" + "a" * 4096 + "</b>"
        assert (await call(http, api, "sendMessage", chat_id=7, text=fits, parse_mode="HTML"))[
            "ok"
        ]
        over = await call(http, api, "sendMessage", chat_id=7, text="📢" * 2049)
        assert over["description"] == "Bad Request: message is too long"
        entities = "&amp;" * 1000  # 1,000 characters as read
        assert (await call(http, api, "sendMessage", chat_id=7, text=entities, parse_mode="HTML"))[
            "ok"
        ]
