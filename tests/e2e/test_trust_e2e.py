"""Trust at the edges, on both engines: the webhook's secret token, the bot's own t.me links.

(Issue 17. The webhook with a configured secret is checked in test_telegram.py.)
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.services import invitations
from storage import people
from storage.models import ProcessedUpdate, Role
from storage.onboarding_models import InvitationKind
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Engines, TelegramUser, free_port
from tests.support.fake_bot_api import FakeBotApi

ATTACKER, INVITEE = 666_001, 666_002
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{32,256}")


async def test_a_webhook_without_a_configured_secret_makes_one(
    api: FakeBotApi, engines: Engines
) -> None:
    """No WEBHOOK_SECRET: a strong token is made and registered, and a forged /grant posted
    without it (or with a wrong one) is refused with 401 and changes nothing."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    engine = await engines.start(webhook_url=url, port=port)
    [registered] = api.calls_of("setWebhook")
    secret = registered.params.get("secret_token")
    assert secret and TOKEN_CHARS.fullmatch(secret), secret
    forged = api.user_message(ADMIN_ID, f"/grant {ATTACKER} secretariat")
    assert await api.push_webhook(url, forged, None) == 401
    assert await api.push_webhook(url, forged, "guessed") == 401
    assert await api.push_webhook(url, forged, secret[:-1]) == 401
    async with engine.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
        assert await people.by_telegram_id(session, ATTACKER) is None
    assert not api.calls_of("sendMessage")

    genuine = api.user_message(ADMIN_ID, "/start")
    assert await api.push_webhook(url, genuine, secret) == 200
    await api.wait_for("sendMessage", TelegramUser(api, ADMIN_ID).to_me)
    async with engine.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
        admin = await people.by_telegram_id(session, ADMIN_ID)
        assert admin is not None and Role.SECRETARIAT in await people.roles_of(session, admin.id)


async def test_links_name_the_bot_that_getme_names(api: FakeBotApi, engines: Engines) -> None:
    """The bot learns its username from getMe: an exported invitation link opens this bot,
    and opening it (/start with its payload) binds the invitee."""
    api.bot_user["username"] = "dtpc_center_bot"
    engine = await engines.start()
    async with engine.app.sessions() as session, session.begin():
        now = engine.app.clock.now()
        await invitations.create(
            session, InvitationKind.EXPERT, now, timedelta(days=30), actor_id=None, name="赵六"
        )
    admin, invitee = TelegramUser(api, ADMIN_ID), TelegramUser(api, INVITEE)
    listing = await admin.send("/invites")
    await admin.press(listing, "Export CSV")
    [export] = await api.wait_for("sendDocument", admin.to_me)
    rows = list(csv.reader(io.StringIO(export.params["document"].content.decode("utf-8-sig"))))
    [link] = [cell for row in rows[1:] for cell in row if cell.startswith("https://t.me/")]
    bot, _, payload = link.removeprefix("https://t.me/").partition("?start=")
    assert bot == "dtpc_center_bot", link

    welcome = await invitee.send(f"/start {payload}")
    assert welcome.params["text"].startswith("Welcome. You are now registered as a member")
    async with engine.app.sessions() as session:
        person = await people.by_telegram_id(session, INVITEE)
        assert person is not None and Role.EXPERT in await people.roles_of(session, person.id)
