"""Group chats (DESIGN.md "Trust rules"): every command of the permission matrix sent from a
group by every persona, and every button kind pressed there. Nothing personal or confidential
reaches the group: it gets the one pointer line to the private chat, or silence. Only what is
meant for the group works there: /linkgroup, and the linked group's check-in and open-ballot
buttons, whose confirmations go to the presser's private chat.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select

from bot.app import App
from bot.protocol import Button, Incoming, IncomingFile, Outcome, Reply, Sender
from storage import conversations, people
from storage.models import Conversation
from tests.conftest import ADMIN_ID, MakeApp
from tests.hardening.test_permission_matrix import (
    BUTTONS,
    PERSONAS,
    _counts,
    telegram_ids,
)
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.world import GUEST, World, build_world

GROUP, OTHER_GROUP = -100_4242, -100_5353
USERNAME = "dtpc_bot"
POINTER = Reply(
    "Please use me in a private chat.",
    buttons=((Button("Open a private chat", url=f"https://t.me/{USERNAME}"),),),
)
GROUP_BUTTONS = {"mci", "mv"}  # posted in the linked group (handlers/meetings.py)
_keys = itertools.count(1)


async def from_group(app: App, user: int, chat: int = GROUP, **what: Any) -> Outcome:
    """An update from `user` in the group chat `chat`, as a Telegram engine reads it."""
    sender = Sender(user, chat, "en", "Group Member")
    message_id = 7 if "button" in what else None
    incoming = Incoming(f"group:{next(_keys)}", sender, message_id=message_id, **what)
    return await app.dispatcher.handle(incoming)


def to_group(outcome: Outcome, chat: int = GROUP) -> list[Reply]:
    return [r for r in [*outcome.replies, *outcome.queued] if r.chat_id in (None, chat)]


def elsewhere(outcome: Outcome, chat: int = GROUP) -> list[Reply]:
    return [r for r in [*outcome.replies, *outcome.queued] if r.chat_id not in (None, chat)]


async def linked_world(make_app: MakeApp, clock: FakeClock) -> tuple[App, World]:
    app = await make_app(flood_burst=1_000_000, bot_username=USERNAME)
    world = await build_world(app, clock)
    linked = await from_group(app, ADMIN_ID, command="linkgroup")
    assert [r.text for r in to_group(linked)] == [
        "This chat is now the leadership's voting chat. Open ballots are posted here and only "
        "seat holders present may vote; secret ballots always go to private chats."
    ]
    async with app.sessions() as session, session.begin():
        await session.execute(Conversation.__table__.delete())
    return app, world


async def forms_in_progress(app: App) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Conversation)) or 0


async def test_every_command_from_a_group_gets_only_the_pointer(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app, world = await linked_world(make_app, clock)
    ids = telegram_ids(world)
    starts = [f"{prefix}_1" for prefix in app.dispatcher.routes.deep_links] + ["charter"]
    wrong = []
    for persona in PERSONAS:
        sent = [(name, "") for name in app.dispatcher.routes.commands if name != "linkgroup"]
        sent += [("start", payload) for payload in starts] + [("nosuch", "")]
        for name, args in sent:
            outcome = await from_group(app, ids[persona], command=name, args=args)
            if to_group(outcome) != [POINTER] or elsewhere(outcome) or outcome.alert:
                wrong.append(f"/{name} {args} as {persona}: {_shown(outcome)}")
        linkgroup = await from_group(app, ids[persona], command="linkgroup")
        expected = "voting chat" if persona == "secretariat" else "not available to you"
        if len(to_group(linkgroup)) != 1 or expected not in to_group(linkgroup)[0].text:
            wrong.append(f"/linkgroup as {persona}: {_shown(linkgroup)}")
    assert not wrong, "\n".join(wrong)
    assert await forms_in_progress(app) == 0  # /join, /newevent, /grant... started nothing


async def test_every_button_from_a_group_is_an_alert_unless_meant_for_it(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app, world = await linked_world(make_app, clock)
    ids = telegram_ids(world)
    wrong = []
    for code, press in BUTTONS.items():
        for persona in PERSONAS:
            async with app.sessions() as session, session.begin():
                person = await people.ensure(session, ids[persona], ids[persona], clock.now())
                await conversations.clear(session, person.id)
                if press.form is not None:  # the press would be valid in the private chat
                    form, step, data = press.form
                    await conversations.save(session, person.id, form, step, data, clock.now())
            before = await _counts(app)
            outcome = await from_group(app, ids[persona], button=press.data(world))
            where = f"{press.data(world)} as {persona}"
            if code in GROUP_BUTTONS and persona in press.allowed:
                wrong += _group_answer(where, outcome, ids[persona])
            elif to_group(outcome) or elsewhere(outcome) or not outcome.alert:
                wrong.append(f"{where}: {_shown(outcome)}")
            elif code not in GROUP_BUTTONS and outcome.alert != POINTER.text:
                wrong.append(f"{where}: alert {outcome.alert!r}")
            elif code not in GROUP_BUTTONS and await _counts(app) != before:
                wrong.append(f"{where}: a press in the group counted a vote or sent a document")
    assert not wrong, "\n".join(wrong)


def _group_answer(where: str, outcome: Outcome, presser: int) -> list[str]:
    """The group's post updated in place; the presser's own confirmation sent to them alone."""
    posts, private = to_group(outcome), elsewhere(outcome)
    if outcome.alert or not posts or not all(r.edit and r.protect for r in posts):
        return [f"{where}: {_shown(outcome)}"]
    if [r.chat_id for r in private] != [presser]:
        return [f"{where}: confirmation not private: {_shown(outcome)}"]
    mine = private[0].text.split("\n")[0]
    return [f"{where}: confirmation in the group" for r in posts if mine in r.text]


async def test_group_buttons_work_only_in_the_linked_group(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app, world = await linked_world(make_app, clock)
    holder = telegram_ids(world)["leadership"]
    before = await _counts(app)
    for data in (f"mci:{world.meeting_id}", f"mv:{world.motion_ids[0]}:for"):
        outcome = await from_group(app, holder, OTHER_GROUP, button=data)
        assert outcome.alert and not to_group(outcome, OTHER_GROUP) and not elsewhere(outcome)
    assert await _counts(app) == before
    voted = await from_group(app, holder, button=f"mv:{world.motion_ids[0]}:for")
    assert voted.alert is None and to_group(voted)[0].edit


async def test_join_in_a_group_starts_no_form(make_app: MakeApp, clock: FakeClock) -> None:
    app, _world = await linked_world(make_app, clock)
    outcome = await from_group(app, GUEST, command="join")
    assert to_group(outcome) == [POINTER] and not elsewhere(outcome)
    answer = await from_group(app, GUEST, text="我们是有色金属研究院")
    assert answer == Outcome()
    assert await forms_in_progress(app) == 0


async def test_group_talk_gets_no_answer_and_leaves_a_private_form_alone(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """Plain messages, files and other bots' commands in a group are not addressed to the bot:
    silence, for every persona; a form the person has going in private is neither answered
    nor ended."""
    app, world = await linked_world(make_app, clock)
    guest = ChatClient(app, GUEST)
    await guest.send("/join")
    assert guest.text and await forms_in_progress(app) == 1
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, GUEST)
        assert person is not None
        form = await conversations.load(session, person.id)
        assert form is not None
        step, data = form.step, dict(form.data)

    file = IncomingFile("file:1", "名单.xlsx", None, 10)
    for user in telegram_ids(world).values():
        assert await from_group(app, user, text="13800138000") == Outcome()
        assert await from_group(app, user, file=file) == Outcome()
        assert await from_group(app, user, command="help", addressee="other_bot") == Outcome()
    cancel = await from_group(app, GUEST, command="cancel")
    assert to_group(cancel) == [POINTER]

    async with app.sessions() as session:
        form = await conversations.load(session, person.id)
        assert form is not None and (form.step, form.data) == (step, data)


async def test_pointer_without_a_known_username_is_the_line_alone(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_username=None)
    outcome = await from_group(app, GUEST, command="help")
    assert outcome.replies == [Reply(POINTER.text)] and not outcome.queued


def _shown(outcome: Outcome) -> str:
    texts = [f"{r.chat_id}: {r.text[:60]!r}" for r in [*outcome.replies, *outcome.queued]]
    return f"alert={outcome.alert!r} replies={texts}"
