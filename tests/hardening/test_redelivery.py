"""Redelivery and ordering: 1,000 updates delivered twice, shuffled across chats (each chat's
own order kept), leave the database exactly as delivering them once — one vote per seat, one
signup per person, one audit row per action — and one chat's updates are handled in order.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.charter.events import EventFields
from bot.protocol import Incoming, Sender
from bot.services import events
from storage import people
from storage.models import Base
from tests.conftest import ADMIN_ID, MakeApp
from tests.hardening.invariants import violations
from tests.support import databases
from tests.support.clock import FakeClock
from tests.support.world import HOLDERS, World, build_world, contact_of

STRANGERS = range(9100, 9300)  # 200 people of no unit, each with their own chat
TOTAL = 1000
# Columns whose values are random by design (tokens, trace codes) or surrogate keys whose
# numbering follows the arrival order across chats, which the shuffle changes on purpose.
VARYING = {"id", "trace_code", "representative_token", "token", "receipt", "claimed_by"}
# A reminder names the signup it is for by its id, and so do its dedup key and subject; a
# document's outbox row carries its access-log line to be, with its trace code.
VARYING_IN = {"reminders": {"payload", "dedup_key", "subject"}, "outbox": {"on_sent"}}
SKIP_TABLES = {"processed_updates", "alembic_version"}


def script(world: World, event_id: int) -> dict[int, list[Incoming]]:
    """Per chat, the updates in the order that person sent them; 1,000 in all."""
    chats: dict[int, list[Incoming]] = {}
    serial = iter(range(10**6))

    def add(user: int, **what: Any) -> None:
        key = f"rd:{next(serial)}"
        chats.setdefault(user, []).append(Incoming(key, Sender(user, user, "en", "N"), **what))

    motion = world.motion_ids[0]
    for round_ in range(4):  # seat holders change their vote; the last one stands (art. 20)
        for holder in HOLDERS:
            choice = ("for", "against", "abstain")[(holder + round_) % 3]
            add(holder, button=f"mv:{motion}:{choice}", message_id=1)
    add(ADMIN_ID, button=f"pj:{world.project_id}", message_id=1)  # the acknowledgement
    add(ADMIN_ID, command="audit")
    for serial_ in (1, 3, 10):  # the contacts ask for corrections of their unit's card
        add(contact_of(serial_), button="pf:fix", message_id=1)
        add(contact_of(serial_), text=f"Our new address is No. {serial_}, Changsha")
    for n, user in enumerate(STRANGERS):
        add(user, command="start")
        add(user, button=f"ev:in:{event_id}", message_id=1)
        add(user, button="lang:zh_CN" if n % 2 else "lang:en", message_id=1)
        if n % 5 == 0:
            add(user, button=f"ev:out:{event_id}", message_id=1)
    users = list(STRANGERS)
    count = sum(map(len, chats.values()))
    k = 0
    while count < TOTAL:  # fill with reads: lists, documents, the event card
        user = users[k % len(users)]
        what = [
            {"command": "events"},
            {"command": "docs"},
            {"button": f"dls:{world.document_ids['public']}", "message_id": 1},
            {"button": f"ev:card:{event_id}", "message_id": 1},
        ][k % 4]
        add(user, **what)
        k, count = k + 1, count + 1
    return chats


def doubled(chats: dict[int, list[Incoming]], rng: random.Random) -> list[Incoming]:
    """Every update twice, the copy somewhere after the original in its chat, and the chats
    interleaved at random."""
    queues = {}
    for chat, updates in chats.items():
        n = len(updates)
        placed = [(float(i), u) for i, u in enumerate(updates)]
        placed += [(i + rng.uniform(0.1, n - i), u) for i, u in enumerate(updates)]
        queues[chat] = [u for _pos, u in sorted(placed, key=lambda p: p[0])]
    order: list[Incoming] = []
    while queues:
        chat = rng.choice(sorted(queues))
        order.append(queues[chat].pop(0))
        if not queues[chat]:
            del queues[chat]
    return order


async def prepare(app: App, clock: FakeClock) -> tuple[World, int]:
    world = await build_world(app, clock)
    async with app.sessions() as session, session.begin():
        for user in STRANGERS:  # known before, so every person has the same id in both runs
            await people.ensure(session, user, user, clock.now(), "N", "en")
        start = clock.now() + timedelta(days=10)
        fields = EventFields("Open day", "", start, start + timedelta(hours=3), "Changsha",
                             None, None, True, 1)  # fmt: skip
        event = await events.create_event(session, fields, "Asia/Shanghai", None, clock.now())
    return world, event.id


async def contents(app: App) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every table's rows as a multiset, without the columns that may legitimately differ."""
    found = {}
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            varying = VARYING | VARYING_IN.get(table.name, set())
            columns = [c for c in table.columns if c.name not in varying]
            rows = (await session.execute(select(*columns))).all()
            found[table.name] = Counter(tuple(map(_plain, r)) for r in rows)
    return found


def _plain(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


async def fresh(url: str, folder: Path, name: str, sqlite_template: Path) -> str:
    if url.startswith("sqlite"):
        target = folder / name
        target.mkdir()
        return databases.copy_sqlite(sqlite_template, target)
    await databases.truncate_all(url)
    return url


async def test_twice_shuffled_equals_once(
    make_app: MakeApp, clock: FakeClock, database_url: str, tmp_path: Path, sqlite_template: Path
) -> None:
    rng = random.Random(10)
    results = []
    for run, copies in (("once", 1), ("twice", 2)):
        clock.moment = FakeClock().moment  # both runs live the same moments
        url = await fresh(database_url, tmp_path, run, sqlite_template)
        app = await make_app(database_url=url, flood_burst=1_000_000)
        world, event_id = await prepare(app, clock)
        chats = script(world, event_id)
        if copies == 1:
            order = [u for chat in sorted(chats) for u in chats[chat]]
        else:
            order = doubled(chats, rng)
        assert len({u.update_key for u in order}) == TOTAL and len(order) == TOTAL * copies
        handled, duplicates, first_seen = [], 0, {}
        for incoming in order:
            outcome = await app.dispatcher.handle(incoming)
            duplicates += outcome.duplicate
            if not outcome.duplicate:
                handled.append(incoming.update_key)
                first_seen.setdefault(incoming.update_key, len(handled))
        assert duplicates == TOTAL * (copies - 1)
        for updates in chats.values():  # each chat's updates were handled in its order
            positions = [first_seen[u.update_key] for u in updates]
            assert positions == sorted(positions)
        async with app.sessions() as session:
            assert await violations(session, app.dispatcher.routes, clock.now()) == []
        results.append(await contents(app))
        await app.close()
    once, twice = results
    differing = {t: (once[t] - twice[t], twice[t] - once[t]) for t in once if once[t] != twice[t]}
    print(f"\nredelivery: {TOTAL} updates once, {2 * TOTAL} shuffled; {len(once)} tables compared")
    assert differing == {}, {t: (list(a)[:3], list(b)[:3]) for t, (a, b) in differing.items()}
