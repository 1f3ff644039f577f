"""Property-based fuzzing of the dispatch (hypothesis): random sequences of updates from people
of every role — commands with random arguments, random text in forms, the buttons they were
shown and forged ones, random files, redelivered and out-of-order updates.

Invariants: no unhandled exception; every update gets a reply, an alert or a deliberate
silence (a redelivery); the database invariants of tests/hardening/invariants.py hold after
each sequence (no document delivered against the access rule, no vote the rules deny, ...).

Hypothesis drives a synchronous test; each example runs in its own event loop on a fresh app
over the same database (the world is built by the first example), with a FakeClock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.protocol import Incoming, IncomingFile, Outcome, Sender
from bot.settings import Settings
from storage.models import Unit
from tests.conftest import ADMIN_ID
from tests.hardening.invariants import CHECKS, audit_rows, violations
from tests.support.clock import FakeClock
from tests.support.world import EXPERT, GUEST, HOLDERS, PDF, World, build_world, contact_of

FAILED = "Something went wrong on our side."
PEOPLE = [ADMIN_ID, GUEST, EXPERT, *HOLDERS, *(contact_of(s) for s in (1, 2, 3, 4, 5, 6, 10))]
STRANGERS = [9001, 9002, 9003]
COMMANDS = [
    "start", "help", "language", "cancel", "join", "events", "docs", "notices", "profile",
    "project", "withdraw", "meetings", "newevent", "upload", "trace", "newmeeting", "review",
    "roster", "seats", "discipline", "audit", "grant", "revoke", "broadcast", "linkgroup",
    "nosuchcommand",
]  # fmt: skip
CODES = (
    "ev evo evs evf dls doc dm mc mci mv ms pj rv ro st dc wd pf join lang grant nack nopen"
    " mlv mrp mmin"
).split()

weird_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", " ", "0", "-1", "99999999999999999999", "2026-12-10 09:00", "yes", "<b>x</b>",
         "' OR 1=1 --", "\u202eevil", "a" * 5000, "😀" * 50, "\x00\x01", "91110000000000001H"]
    ),
)  # fmt: skip
ids = st.one_of(st.integers(-2, 12), st.integers(), st.text(max_size=5))


@st.composite
def forged(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(CODES)), *map(str, draw(st.lists(ids, max_size=4)))]
    return ":".join(parts) if draw(st.booleans()) else draw(st.text(max_size=64))


step = st.one_of(
    st.tuples(st.just("command"), st.sampled_from(COMMANDS), weird_text),
    st.tuples(st.just("text"), weird_text, st.none()),
    st.tuples(st.just("shown"), st.integers(0, 20), st.none()),  # press a button it was shown
    st.tuples(st.just("forged"), forged(), st.none()),
    st.tuples(
        st.just("file"),
        st.sampled_from(["a.pdf", "x.png", "", "../../etc"]),
        st.binary(max_size=300),
    ),
    st.tuples(st.just("redeliver"), st.integers(0, 1000), st.none()),
    st.tuples(st.just("wait"), st.integers(1, 3000), st.none()),  # minutes pass
)
sequences = st.lists(
    st.tuples(st.sampled_from(PEOPLE + STRANGERS), step), min_size=20, max_size=50
)


@dataclass
class Run:
    """What the fuzzing did, summed over examples, for the report."""

    examples: int = 0
    updates: int = 0
    redelivered: int = 0
    silences: int = 0
    problems: list[str] = field(default_factory=list)
    world: World | None = None


@pytest.mark.parametrize("budget", [30])
def test_fuzz_dispatch(database_url: str, budget: int, caplog: pytest.LogCaptureFixture) -> None:
    clock, run, checks_before = FakeClock(), Run(), CHECKS.checks

    @settings(
        max_examples=budget,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(sequences)
    def example(steps: list[tuple[int, tuple[str, Any, Any]]]) -> None:
        run.examples += 1
        asyncio.run(_play(database_url, clock, run, steps))

    with caplog.at_level(logging.ERROR, logger="bot.dispatch"):
        example()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    print(
        f"\nfuzz ({database_url.split(':')[0]}): {run.examples} sequences, {run.updates} updates"
        f" ({run.redelivered} redelivered, {run.silences} silences),"
        f" {CHECKS.checks - checks_before} invariant queries"
    )
    assert not errors, errors[:5]
    assert not run.problems, run.problems[:10]


async def _play(url: str, clock: FakeClock, run: Run, steps: list[tuple[int, Any]]) -> None:
    values: dict[str, Any] = {"database_url": url, "admin_ids": (ADMIN_ID,), "bot_token": None}
    if "flood_burst" in Settings.model_fields:
        values["flood_burst"] = 1_000_000  # flood control is tested elsewhere
    app = await build_app(Settings(_env_file=None, **values), clock)
    try:
        async with app.sessions() as session:
            empty = await session.get(Unit, 1) is None
        if empty:
            run.world = await build_world(app, clock)
        async with app.sessions() as session:
            audit = await audit_rows(session)
        shown: dict[int, list[str]] = {}
        sent: list[Incoming] = []
        for user, (kind, a, b) in steps:
            if kind == "wait":
                clock.advance(minutes=a)
                continue
            incoming = _incoming(kind, a, b, user, shown, sent, run)
            if incoming is None:
                continue
            outcome = await app.dispatcher.handle(incoming)
            run.updates += 1
            _check(outcome, incoming, kind, run)
            buttons = [
                btn.data
                for reply in outcome.replies
                for row in reply.buttons
                for btn in row
                if btn.data
            ]
            if buttons:
                shown[user] = buttons
            sent.append(incoming)
        async with app.sessions() as session:
            run.problems += await violations(session, app.dispatcher.routes, clock.now(), audit)
    finally:
        await app.close()


def _incoming(
    kind: str,
    a: Any,
    b: Any,
    user: int,
    shown: dict[int, list[str]],
    sent: list[Incoming],
    run: Run,
) -> Incoming | None:
    key = f"fz:{run.examples}:{len(sent)}"
    sender = Sender(user, user, "en", "Fuzz <b>User</b>")
    if kind == "command":
        return Incoming(key, sender, command=a, args=b)
    if kind == "text":
        return Incoming(key, sender, text=a)
    if kind == "shown":
        found = shown.get(user)
        return Incoming(key, sender, button=found[a % len(found)], message_id=1) if found else None
    if kind == "forged":
        return Incoming(key, sender, button=a, message_id=1)
    if kind == "file":
        content = (PDF if a.endswith(".pdf") and b[:1] == b"\x00" else b) or b"%PDF-"

        async def fetch() -> bytes:
            return content

        file = IncomingFile(f"f{len(sent)}", a, None, len(content), fetch)
        return Incoming(key, sender, file=file)
    if kind == "redeliver" and sent:
        run.redelivered += 1
        return sent[a % len(sent)]
    return None


def _check(outcome: Outcome, incoming: Incoming, kind: str, run: Run) -> None:
    texts = [r.text for r in outcome.replies]
    if (outcome.alert and FAILED in outcome.alert) or any(FAILED in t for t in texts):
        run.problems.append(f"unhandled exception for {incoming!r}")
    if outcome.duplicate:
        if kind != "redeliver":
            run.problems.append(f"a fresh update was taken for a duplicate: {incoming!r}")
        run.silences += 1
    elif kind == "redeliver":
        run.problems.append(f"a redelivered update was handled again: {incoming!r}")
    elif not (outcome.replies or outcome.alert):
        run.problems.append(f"silence for {incoming!r}")
