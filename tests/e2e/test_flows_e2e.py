"""The main flows through a real engine and the fake Bot API, on both engines (issue 9):
an application and its review, an event signup with its calendar file, a vote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import build_app
from bot.settings import Settings
from storage import units
from storage.meetings_models import Vote
from storage.models import UnitStatus
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Engines, TelegramUser
from tests.support.clock import FakeClock
from tests.support.factories import PDF, credit_code
from tests.support.fake_bot_api import Call, FakeBotApi
from tests.support.world import HOLDERS, World, build_world, contact_of

REPLIES = ("sendMessage", "sendDocument", "editMessageText")
APPLICANT = 5001


class Person:
    """A user who reads the bot's latest messages and presses their buttons, by label or data."""

    def __init__(self, api: FakeBotApi, user_id: int) -> None:
        self.api, self.user = api, TelegramUser(api, user_id)

    def replies(self) -> list[Call]:
        mine = self.user.to_me
        return [c for c in self.api.calls if c.method in REPLIES and mine(c.params) and c.result]

    async def send(self, text: str) -> str:
        before = len(self.replies())
        self.api.user_message(self.user.user_id, text)
        return await self._answer(before)

    async def send_file(self, name: str, content: bytes, mime: str) -> str:
        before = len(self.replies())
        self.api.user_document(self.user.user_id, name, content, mime)
        return await self._answer(before)

    async def press(self, label: str | None = None, prefix: str | None = None) -> str:
        """Presses the newest button so labelled (or whose data starts with `prefix`), once
        it is in the chat: messages from the outbox may arrive in between."""
        await self.api.wait_until(lambda: self._button(label, prefix) is not None)
        found = self._button(label, prefix)
        assert found is not None
        message_id, data = found
        before = len(self.replies())
        answer = await self.user.press_data(message_id, data)
        assert not answer.params.get("show_alert"), answer.params
        return await self._answer(before)

    def _button(self, label: str | None, prefix: str | None) -> tuple[int, str] | None:
        for call in reversed(self.replies()):
            message_id = call.result["message_id"]
            shown = self.api.messages.get((self.user.user_id, message_id), {})
            for row in shown.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data") or ""
                    if button["text"] == label or (prefix and data.startswith(prefix)):
                        return message_id, data
        return None

    async def _answer(self, before: int) -> str:
        await self.api.wait_until(lambda: len(self.replies()) > before)
        last = self.replies()[-1].params
        return str(last.get("text") or last.get("caption") or "")


async def seeded_world(database_url: str) -> World:
    """The hardening tests' center, with its meeting under way now, for the engine's clock."""
    clock = FakeClock(datetime.now(UTC) - timedelta(days=16, minutes=1))
    settings = Settings(_env_file=None, database_url=database_url, admin_ids=(ADMIN_ID,))
    app = await build_app(settings, clock)
    world = await build_world(app, clock)
    await app.close()
    return world


async def test_an_application_and_its_review(
    api: FakeBotApi, engines: Engines, database_url: str
) -> None:
    engine = await engines.start()
    applicant, admin = Person(api, APPLICANT), Person(api, ADMIN_ID)
    assert "Personal data notice" in await applicant.send("/join")
    assert "Question 1 of 10" in await applicant.press("I agree")
    assert "Question 2 of 10" in await applicant.send("有色金属示范企业")
    assert "Question 3 of 10" in await applicant.send(credit_code(1))
    for label in ("enterprise", "smelting", "processing", "Done"):
        await applicant.press(label)
    for text in ("内蒙古", "张三", "138 0013 8000", "zhang@example.cn"):
        await applicant.send(text)
    await applicant.press("I agree")
    summary = await applicant.send_file("申请表.pdf", PDF, "application/pdf")
    assert "Please check the application" in summary and "smelting, processing" in summary
    assert "Submitted" in await applicant.press("Submit")

    await admin.send("/review")
    await api.wait_until(lambda: any(c.method == "sendDocument" for c in admin.replies()))
    assert "Approved" in await admin.press("Approve")
    async with engine.app.sessions() as session:
        unit = await units.by_credit_code(session, credit_code(1))
        assert unit is not None and unit.status is UnitStatus.MEMBER


async def test_an_event_signup_brings_its_calendar_file(
    api: FakeBotApi, engines: Engines, database_url: str
) -> None:
    await seeded_world(database_url)
    await engines.start()
    contact = Person(api, contact_of(1))
    await contact.send("/events")
    await contact.press(prefix="ev:card:")
    await contact.press(prefix="ev:in:")
    await api.wait_until(lambda: any(c.method == "sendDocument" for c in contact.replies()))
    [ics] = [c.params["document"] for c in contact.replies() if c.method == "sendDocument"]
    assert ics.name.endswith(".ics") and ics.content.startswith(b"BEGIN:VCALENDAR")


async def test_a_seat_holder_votes_once(
    api: FakeBotApi, engines: Engines, database_url: str
) -> None:
    world = await seeded_world(database_url)
    engine = await engines.start()
    holder = Person(api, HOLDERS[0])
    await holder.send("/meetings")
    await holder.press(prefix="mc:")
    await holder.press(prefix=f"mv:{world.motion_ids[0]}:for")
    found = holder._button(None, f"mv:{world.motion_ids[0]}:for")
    assert found is not None
    answer = await holder.user.press_data(*found)  # pressed twice: one vote, a toast
    assert answer.params["text"] == "You have already voted “For”."
    async with engine.app.sessions() as session:
        votes = await session.scalar(
            select(func.count()).select_from(Vote).where(Vote.motion_id == world.motion_ids[0])
        )
    assert votes == 1
