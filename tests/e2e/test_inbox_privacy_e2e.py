"""A handled update keeps its key only: no stored update ties a voter to a choice (issue 17,
DESIGN "Trust rules"). The inbox keeps a polled update's content only until it is handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import build_app
from bot.settings import Settings
from storage.inbox_models import InboundUpdate
from storage.models import ProcessedUpdate
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Engines
from tests.support.clock import FakeClock
from tests.support.fake_bot_api import FakeBotApi
from tests.support.world import HOLDERS, build_world


async def test_a_handled_vote_press_leaves_no_stored_choice(
    api: FakeBotApi, engines: Engines, database_url: str
) -> None:
    settings = Settings(_env_file=None, database_url=database_url, admin_ids=(ADMIN_ID,))
    # The world's meeting is under way 16 days after it starts: now, for the engine.
    clock = FakeClock(datetime.now(UTC) - timedelta(days=16, minutes=1))
    seeding = await build_app(settings, clock)
    world = await build_world(seeding, clock)
    await seeding.close()
    engine = await engines.start()

    data = f"mv:{world.motion_ids[0]}:against"
    update_id = api.user_press(HOLDERS[0], 1, data)
    query = api.updates[update_id]["callback_query"]["id"]
    await api.wait_for("answerCallbackQuery", lambda p: p["callback_query_id"] == query)

    async with engine.app.sessions() as session:
        inbox = [
            (row.key, repr(row.payload)) for row in await session.scalars(select(InboundUpdate))
        ]
        keys = [
            (row.key, row.processed_at) for row in await session.scalars(select(ProcessedUpdate))
        ]
    assert f"tg:{update_id}" in [key for key, _ in keys]  # handled, by its key
    assert not any("against" in payload or data in payload for _, payload in inbox), inbox
    assert not any("against" in key for key, _ in keys)
