"""Confidential documents over the Bot API, on both engines: protect_content where it must be."""

from __future__ import annotations

from sqlalchemy import select

from bot.charter.documents import Audience, Level
from storage.documents_models import DocumentDelivery
from tests.conftest import MakeApp
from tests.e2e.conftest import Engines, TelegramUser
from tests.integration.test_documents import add_document
from tests.support.factories import make_unit
from tests.support.fake_bot_api import FakeBotApi

MEMBER, GUEST = 71001, 71002


async def test_protect_content_on_every_non_public_send(
    api: FakeBotApi, engines: Engines, make_app: MakeApp
) -> None:
    """Art. 14(4): a members' document goes protected, a public one not; a guest gets none."""
    app = await make_app()  # the data first, then the bot on the same database
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        await make_unit(session, now, 1, contact_telegram_id=MEMBER)
    confidential = await add_document(app, now, "内部资料", Audience(Level.MEMBERS))
    public = await add_document(app, now, "公开资料", Audience(Level.PUBLIC))
    await engines.start()

    member = TelegramUser(api, MEMBER)
    sent = await member.send(f"/start doc_{confidential}", reply="sendDocument")
    assert sent.params["protect_content"] is True
    sent = await member.send(f"/start doc_{public}", reply="sendDocument")
    assert not sent.params.get("protect_content")

    guest = TelegramUser(api, GUEST)
    refused = await guest.send(f"/start doc_{confidential}")
    assert "内部资料" not in refused.params["text"]  # the title is not revealed
    assert not api.calls_of("sendDocument", guest.to_me)


async def test_a_document_whose_send_times_out_is_sent_again_and_logged_once(
    api: FakeBotApi, engines: Engines, make_app: MakeApp
) -> None:
    """Issue 17: the access log says "delivered" only once Telegram confirmed the send; a
    send that timed out is retried, and the delivery is logged once."""
    app = await make_app()
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        await make_unit(session, now, 1, contact_telegram_id=MEMBER)
    confidential = await add_document(app, now, "内部资料", Audience(Level.MEMBERS))
    engine = await engines.start(telegram_timeout=1, delivery_backoff=0.1)

    async def delivered() -> list[DocumentDelivery]:
        async with engine.app.sessions() as session:
            return list((await session.scalars(select(DocumentDelivery))).all())

    api.faults.lose_sends = 1
    member = TelegramUser(api, MEMBER)
    api.user_message(MEMBER, f"/start doc_{confidential}")
    [lost] = await api.wait_for("sendDocument", member.to_me)
    assert lost.error_code == 504
    assert await delivered() == []  # not confirmed: not logged
    sent = await api.wait_for("sendDocument", member.to_me, count=2, timeout=10)
    assert sent[1].error_code is None and sent[1].params["protect_content"] is True
    await engines.stop(engine)  # a stop records the sends under way
    [entry] = await delivered()
    assert (entry.allowed, entry.path, entry.protected) == (True, "link", True)
    assert len(api.sent[MEMBER]) == 1
