"""Refusals as sent over the Bot API, on both engines (issue 20): a guest is told whom a
document is really for, and a suspended unit's contact why they may not sign up, since when,
and whom to ask."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.charter.documents import Audience, Level
from bot.charter.membership import Discipline
from bot.services import membership
from tests.conftest import MakeApp
from tests.e2e.conftest import Engines, TelegramUser
from tests.integration.test_documents_as_read import add_document
from tests.integration.test_events import make_event
from tests.support.factories import make_unit
from tests.support.fake_bot_api import FakeBotApi

GUEST, SUSPENDED = 72001, 72002


async def test_refusals_name_the_audience_and_the_suspension_in_chinese(
    api: FakeBotApi, engines: Engines, make_app: MakeApp
) -> None:
    app = await make_app()  # the data first, then the bot on the same database
    now = app.clock.now()  # the engines' clock runs: dates are taken from it
    suspended_on = now - timedelta(days=5)
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, now, 1, contact_telegram_id=SUSPENDED)
        await membership.discipline(
            session, unit.id, Discipline.SUSPENSION, "x", None, suspended_on,
            ZoneInfo("Asia/Shanghai"),
        )  # fmt: skip
    experts = await add_document(app, now, "专家论证意见", Audience(Level.EXPERTS))
    start = now + timedelta(days=6)
    event_id = await make_event(
        app, starts_at=start, ends_at=start + timedelta(hours=2), guests_allowed=False
    )
    since = app.catalogs.translator("zh_CN").date(suspended_on)  # "2026年11月20日周五"
    await engines.start()

    guest = TelegramUser(api, GUEST, language_code="zh-hans")
    refused = await guest.send(f"/start doc_{experts}")
    assert refused.params["text"] == (
        "您无法获取此文件：该文件仅供专家委员会委员获取，而您不在其列。"
    )
    contact = TelegramUser(api, SUSPENDED, language_code="zh-hans")
    answered = await contact.press_data(1, f"ev:in:{event_id}")
    assert answered.params["text"] == (
        f"贵单位自{since}起被暂停行使成员单位权利（章程第十五条第三项），而本活动"
        "仅限成员单位参加。如有疑问，请联系秘书处。"
    )
