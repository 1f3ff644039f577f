"""Chat menus at start-up, on both engines: only those that changed since they were last set
(people.menu_digest), so that restarting a center of a thousand units costs no calls."""

from __future__ import annotations

from bot.engines.common import TelegramEngine
from storage import people
from storage.models import Role
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Engines, TelegramUser, chat_scope, command_names
from tests.support.fake_bot_api import FakeBotApi

CAROL = 5151


def chat_menus(api: FakeBotApi) -> list[int]:
    """The chats whose menu the bot asked to set, in order, refused ones included."""
    calls = api.calls_of("setMyCommands", lambda p: (p.get("scope") or {}).get("type") == "chat")
    return [int(c.params["scope"]["chat_id"]) for c in calls]


def menu_of(engine: TelegramEngine, *roles: Role) -> list[str]:
    return [c.name for c in engine.app.dispatcher.routes.menu_for(frozenset({Role.GUEST, *roles}))]


async def restart(
    engines: Engines, engine: TelegramEngine, grant: Role | None = None, revoke: Role | None = None
) -> TelegramEngine:
    """Stops the engine, changes Carol's roles in the database as an import would while the
    bot is down, and starts it again."""
    await engines.stop(engine)
    now = engine.app.clock.now()
    async with engine.app.sessions() as session, session.begin():
        carol = await people.ensure(session, CAROL, CAROL, now)
        if grant is not None:
            await people.grant(session, carol.id, grant, None, now)
        if revoke is not None:
            await people.revoke(session, carol.id, revoke)
    return await engines.start()


async def test_a_restart_with_nothing_changed_sets_no_chat_menu(
    api: FakeBotApi, engines: Engines
) -> None:
    engine = await engines.start()
    assert chat_menus(api) == [ADMIN_ID]
    await restart(engines, engine)
    assert chat_menus(api) == [ADMIN_ID]  # no new call for any chat
    assert len(api.calls_of("setMyCommands", lambda p: p["scope"] == {"type": "default"})) == 4


async def test_a_role_granted_outside_the_bot_is_set_at_the_next_start_and_only_it(
    api: FakeBotApi, engines: Engines
) -> None:
    engine = await engines.start()
    engine = await restart(engines, engine, grant=Role.LEADERSHIP)
    assert chat_menus(api) == [ADMIN_ID, CAROL]
    assert api.menu(CAROL) == menu_of(engine, Role.LEADERSHIP)
    await restart(engines, engine)
    assert chat_menus(api) == [ADMIN_ID, CAROL]


async def test_a_former_role_holder_gets_the_guest_menu_back_once(
    api: FakeBotApi, engines: Engines
) -> None:
    engine = await engines.start()
    engine = await restart(engines, engine, grant=Role.LEADERSHIP)
    engine = await restart(engines, engine, revoke=Role.LEADERSHIP)
    assert chat_menus(api) == [ADMIN_ID, CAROL, CAROL]
    assert api.menu(CAROL) == menu_of(engine)
    await restart(engines, engine)
    assert chat_menus(api) == [ADMIN_ID, CAROL, CAROL]


async def test_a_menu_telegram_refused_is_set_again_at_the_next_start(
    api: FakeBotApi, engines: Engines
) -> None:
    api.faults.menu_refused_chats.add(CAROL)
    engine = await engines.start()
    engine = await restart(engines, engine, grant=Role.LEADERSHIP)
    refused = api.calls_of("setMyCommands", chat_scope(CAROL))
    assert [c.error_code for c in refused] == [400]
    api.faults.menu_refused_chats.clear()
    engine = await restart(engines, engine)
    menus = api.calls_of("setMyCommands", chat_scope(CAROL))
    assert [c.error_code for c in menus] == [400, None]
    assert command_names(menus[-1]) == menu_of(engine, Role.LEADERSHIP)
    await restart(engines, engine)
    assert len(api.calls_of("setMyCommands", chat_scope(CAROL))) == 2


async def test_a_menu_refused_on_a_role_change_is_set_again_at_the_next_start(
    api: FakeBotApi, engines: Engines
) -> None:
    """A menu set while the bot runs (here: the secretariat grants a role in chat) that
    Telegram refused is not taken for set."""

    engine = await engines.start()
    api.faults.menu_refused_chats.add(CAROL)
    admin = TelegramUser(api, ADMIN_ID)
    await admin.send("/grant")
    roles = await admin.send(str(CAROL))
    await admin.press(roles, "joint meeting seat")
    await api.wait_until(lambda: len(api.calls_of("setMyCommands", chat_scope(CAROL))) == 1)
    api.faults.menu_refused_chats.clear()
    engine = await restart(engines, engine)
    menus = api.calls_of("setMyCommands", chat_scope(CAROL))
    assert [c.error_code for c in menus] == [400, None]
    assert command_names(menus[-1]) == menu_of(engine, Role.LEADERSHIP)
