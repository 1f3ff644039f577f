"""Typed input in full width (a Chinese input method) through the dispatch, on both databases."""

from __future__ import annotations

from datetime import timedelta

from storage.models import UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_events import MEMBER, START, add_units, make_event
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.unit.test_typed_input import full_width


async def test_check_in_code_typed_in_full_width(make_app: MakeApp, clock: FakeClock) -> None:
    """“１２３４５６” is the code 123456; a code in Chinese numerals is simply wrong, never a
    TypeError from compare_digest (which refuses non-ASCII text)."""
    app = await make_app()
    await add_units(app, (1, MEMBER, UnitStatus.MEMBER))
    event_id = await make_event(app)
    admin, member = ChatClient(app, ADMIN_ID), ChatClient(app, MEMBER)
    await member.press_data(f"ev:in:{event_id}")
    clock.moment = START - timedelta(minutes=30)
    await admin.press_data(f"evs:code:{event_id}")
    code = admin.text.split(": ")[1][:6]
    await member.press_data(f"ev:card:{event_id}")
    await member.press("Check in with a code")
    await member.send("一二三四五六")
    assert "not right" in member.text
    await member.send(f"\u3000{full_width(code)}")
    assert member.text == "You are checked in. Welcome!"
