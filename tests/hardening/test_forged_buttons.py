"""Forged button data and link payloads (issue 17, DESIGN "Trust rules").

For every registered button code and deep-link prefix (read from the route table, so a new
button is covered without touching this file), data that its declared arguments must refuse —
each part spoiled in turn ("x", "²", "１", 25 digits, negative, empty, ...), one part too few,
one too many, an unknown sub-action — is pressed by every persona. Each press must be answered
with the stale-button alert (a link with "not valid"), never with the internal-error apology,
and leave no dead letter and no message to the secretariat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from bot.dispatch import FAILED, INVALID_LINK
from bot.errors import STALE
from bot.i18n import SUPPORTED
from bot.routing import (
    BUTTON_SEPARATOR,
    DEEP_LINK_SEPARATOR,
    Opt,
    Rest,
    Routes,
    Signature,
    Spec,
    may_use,
    parse_args,
)
from handlers import features
from storage import people
from storage.inbox_models import DeadLetter
from storage.models import OutboxMessage, Role
from tests.conftest import MakeApp
from tests.hardening.test_permission_matrix import PERSONAS, telegram_ids
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.world import build_world

BAD_PARTS = ("x", "²", "１", "9" * 25, "-1", "", "0x1")


def example(spec: Spec) -> str:
    """A part that `spec` accepts."""
    if isinstance(spec, Opt | Rest):
        return example(spec.parser)
    if isinstance(spec, type):
        return str(next(iter(spec)).value)
    return spec.example


def candidates(signature: Signature) -> list[list[str]]:
    """Well-formed parts with one part spoiled, or one part too few or too many; for
    sub-actions, the same after each word, an unknown word, and no word at all."""
    if isinstance(signature, Mapping):
        found = [[], ["nosuch"]]
        for word, sub in signature.items():
            found += [[word, *parts] for parts in candidates(sub)]
        return found
    good = [example(spec) for spec in signature]
    required = sum(1 for spec in signature if not isinstance(spec, Opt))
    found = [good[: required - 1]] if required else []
    found.append([*good, "1"])
    for position in range(len(signature)):
        found += [[*good[:position], bad, *good[position + 1 :]] for bad in BAD_PARTS]
    return found


def refused(signature: Signature, parts: Sequence[str], separator: str) -> bool:
    try:
        parse_args(signature, parts, separator)
    except ValueError:
        return True
    return False


def forged_buttons(routes: Any) -> list[str]:
    datas = set()
    for code, action in routes.buttons.items():
        for parts in candidates(action.args):
            data = BUTTON_SEPARATOR.join([code, *parts])
            seen = data.split(BUTTON_SEPARATOR)[1:]  # as the dispatch will split it
            if refused(action.args, seen, BUTTON_SEPARATOR):  # a token may accept "x"
                datas.add(data)
    return sorted(datas)


def forged_links(routes: Any) -> list[str]:
    payloads = set()
    for prefix, link in routes.deep_links.items():
        for parts in candidates(link.args):
            payload = DEEP_LINK_SEPARATOR.join([prefix, *parts])
            rest = payload.partition(DEEP_LINK_SEPARATOR)[2]
            seen = rest.split(DEEP_LINK_SEPARATOR) if rest else []
            if refused(link.args, seen, DEEP_LINK_SEPARATOR):
                payloads.add(payload)
    return sorted(payloads)


def test_the_forgeries_reach_every_button_and_the_reported_cases() -> None:
    """The generated data covers every route and the cases reported in issue 17."""
    routes = Routes.build(features())
    buttons, links = forged_buttons(routes), forged_links(routes)
    assert {d.split(BUTTON_SEPARATOR)[0] for d in buttons} == set(routes.buttons)
    assert {p.split(DEEP_LINK_SEPARATOR)[0] for p in links} == set(routes.deep_links)
    assert {"rvans:x", "dls:²", f"dls:{'9' * 25}", "ev:card:x", "mrp:new:²"} <= set(buttons)
    assert "doc_x" in links


async def test_forged_buttons_and_links_are_stale_for_everyone(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(flood_burst=1_000_000)
    world = await build_world(app, clock)
    ids = telegram_ids(world)
    routes = app.dispatcher.routes
    stale = {app.catalogs.for_person(locale, None)(STALE) for locale in SUPPORTED}
    invalid = {app.catalogs.for_person(locale, None)(INVALID_LINK) for locale in SUPPORTED}
    failed = {app.catalogs.for_person(locale, None)(FAILED) for locale in SUPPORTED}
    before = await _counts(app)
    wrong, presses, pressed = [], 0, set()
    for persona in PERSONAS:
        client = ChatClient(app, ids[persona])
        roles = await _roles(app, ids[persona], clock)
        for data in forged_buttons(routes):
            # The data is read alike for everyone who may press the button: all of it is
            # pressed by the first persona who may, a sample by everyone else.
            action = routes.buttons[data.split(BUTTON_SEPARATOR)[0]]
            first = may_use(roles, action.roles) and data not in pressed
            if not first and not data.endswith(":x"):
                continue
            pressed.add(data)
            outcome = await client.press_data(data)
            presses += 1
            if outcome.alert not in stale or outcome.replies or outcome.queued:
                answer = outcome.alert or client.text[:80]
                wrong.append(f"{data!r} as {persona}: {answer!r}")
        for payload in forged_links(routes):
            if payload in pressed and not payload.endswith("_x"):
                continue
            pressed.add(payload)
            outcome = await client.send(f"/start {payload}")
            presses += 1
            if client.text not in invalid or outcome.queued:
                wrong.append(f"/start {payload!r} as {persona}: {client.text[:80]!r}")
            assert client.text not in failed
    print(f"\nforged buttons and links: {presses} presses")
    assert not wrong, f"{len(wrong)} of {presses}:\n" + "\n".join(wrong[:60])
    assert await _counts(app) == before, "a forged press left a dead letter or a message"


async def _roles(app: Any, telegram_id: int, clock: FakeClock) -> frozenset[Role]:
    async with app.sessions() as session, session.begin():
        person = await people.ensure(session, telegram_id, telegram_id, clock.now())
        return await people.roles_of(session, person.id)


async def _counts(app: Any) -> tuple[int, int]:
    async with app.sessions() as session:
        letters = await session.scalar(select(func.count()).select_from(DeadLetter))
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        return letters or 0, queued or 0
