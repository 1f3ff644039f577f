"""Direct replies that Telegram refuses for a moment still arrive, on both engines (issue 17).

A 429 on a reply is waited out, in the limiter the outbox shares, and the reply sent again;
a 5xx or a timeout is tried again after a back-off.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Engines, TelegramUser
from tests.support.fake_bot_api import FakeBotApi, Faults, RateLimits

CROWD = 500
RATE = 30  # messages/s overall, as Telegram enforces it: 500 replies take at least 17 s
FIRST = 700_000


@pytest.fixture
async def api() -> FakeBotApi:  # type: ignore[override]
    """The fake server enforcing the rate limit and refusing a few sends with 429."""
    faults = Faults(flood_fraction=0.03, flood_retry_after=1)
    async with FakeBotApi(rate_limits=RateLimits(RATE), faults=faults) as server:
        yield server


async def test_a_crowd_sending_start_at_once_is_answered_in_full(
    api: FakeBotApi, engines: Engines
) -> None:
    """500 people send /start at the same moment: each is answered, and no send reaches
    Telegram inside a retry_after it announced."""
    await engines.start(send_rate=RATE)
    crowd = range(FIRST, FIRST + CROWD)
    for user_id in crowd:
        api.user_message(user_id, "/start")
    await api.wait_until(lambda: all(api.sent.get(u) for u in crowd), timeout=180)
    assert sum(1 for c in api.calls if c.error_code == 429) > 0  # refusals were met
    assert api.sends_inside_retry_after() == []
    assert all(api.texts(u)[0].startswith("Welcome") for u in crowd)


async def test_a_reply_refused_by_an_outage_is_sent_when_it_ends(
    api: FakeBotApi, engines: Engines
) -> None:
    await engines.start(send_rate=RATE, delivery_backoff=0.2)
    api.faults.outage_sends = 1  # counted, not timed: a loaded machine sends late
    reply = await TelegramUser(api, FIRST).send("/help", timeout=5)
    assert reply.error_code == 502
    await api.wait_until(lambda: bool(api.sent.get(FIRST)))
    assert api.texts(FIRST)[0].startswith("What you can do:")
