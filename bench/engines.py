"""Engine benchmark (issue 9), run by hand, not in CI:

    .venv/bin/python -m bench.engines                       # both engines, SQLite, 1,000 updates
    .venv/bin/python -m bench.engines --updates 10000       # the memory figure after 10,000
    .venv/bin/python -m bench.engines --database-url postgresql+asyncpg://postgres@127.0.0.1/bench

For each engine (aiogram, python-telegram-bot), the same engine runs a bare echo bot (one
message handler that echoes, callback queries answered and echoed), then the floor (the echo
after the one transaction DESIGN.md asks of every update: its id recorded, the sender read
with roles and open form, through our storage functions), then our bot, each in a
process of its own, polling the fake Bot API server (tests/support/fake_bot_api.py), which
runs in this process with the simulated users. The users are contacts of member units, seat
holders and guests of a seeded center (bench/seed.py, 1,000 units by default); each, in turn,
goes through a script and waits for the bot's answer before its next step:

    contact:      /start, /help, /language + a language button, /events + the event's card +
                  sign up (or cancel the signup), /docs + the document (a watermarked PDF)
    seat holder:  /start, /meetings + the meeting's card + a vote (a different choice each
                  round), /help
    guest:        /start, /join, its privacy consent + first answer, /cancel

Buttons are pressed on the bot's own previous reply, as a person does; the echo bot gets the
same updates (its presses carry the data our buttons would). `--concurrency` users act at
once: a saturating feed. Latency of an update: from its being queued at the server to the
bot's answer reaching the server (the reply sent or edited, and for a press the callback
answered too), under that feed and then with one user at a time (the update's own cost).
Throughput: updates / wall time of the run.

Also printed: the bot process's resident memory after the run (VmRSS, read from
/proc/<pid>/status; the fake server is not in that process), its CPU time per update, and the
number of SQL statements per update type (counted with SQLAlchemy's before_cursor_execute,
attributed to the update being dispatched), for the 1st and the last update of each type,
with the full center and with a center of 10 units. A PostgreSQL database given with
--database-url must exist; its tables are emptied and seeded again for each run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.bots import TOKEN, kind_of
from bench.seed import World, seed
from tests.support import databases
from tests.support.fake_bot_api import Call, FakeBotApi, Json

LANGUAGE = "zh-hans"
CONTENT = frozenset({"sendMessage", "editMessageText", "sendDocument"})
MODES = ("echo", "floor", "ours")
STEP_TIMEOUT = 60.0  # seconds an answer may take before the step counts as unanswered
SMALL_CENTER = 10

KINDS = {
    "/start": "start",
    "/help": "help (menu)",
    "/language": "language menu",
    "lang": "language button",
    "/events": "events list",
    "ev:card": "event card",
    "ev:in": "event signup",
    "ev:out": "signup cancelled",
    "/docs": "documents list",
    "dls": "document request",
    "/meetings": "meetings list",
    "mc": "meeting card",
    "mv": "vote",
    "/join": "application start",
    "join": "application consent",
    "text": "application answer",
    "/cancel": "application cancelled",
}


# -- the simulated users ---------------------------------------------------------------------

Buttons = list[str]  # the callback data of a reply's buttons
Choose = Callable[[Buttons, int], str | None]  # (buttons, round) -> the data to press


def starting(prefix: str) -> Choose:
    return lambda buttons, _round: next((b for b in buttons if b.startswith(prefix)), None)


def either(*prefixes: str) -> Choose:
    return lambda buttons, _round: next((b for b in buttons if b.startswith(prefixes)), None)


def language(buttons: Buttons, round_: int) -> str | None:
    return starting("lang:en" if round_ % 2 == 0 else "lang:zh")(buttons, round_)


def vote(buttons: Buttons, round_: int) -> str | None:
    choices = [b for b in buttons if b.startswith("mv:")]
    return choices[round_ % len(choices)] if choices else None


@dataclass(frozen=True)
class Step:
    text: str | None = None  # a message to send
    choose: Choose | None = None  # or a button to press on the bot's last reply
    echo: str = ""  # the data the echo bot's users press instead

    @property
    def kind(self) -> str:
        return kind_of(self.text) if self.text is not None else kind_of(data=self.echo)


SCRIPTS = {
    "contact": (
        Step("/start"),
        Step("/help"),
        Step("/language"),
        Step(choose=language, echo="lang:en"),
        Step("/events"),
        Step(choose=starting("ev:card:"), echo="ev:card:1"),
        Step(choose=either("ev:in:", "ev:out:"), echo="ev:in:1"),
        Step("/docs"),
        Step(choose=starting("dls:"), echo="dls:1"),
    ),
    "holder": (
        Step("/start"),
        Step("/meetings"),
        Step(choose=starting("mc:"), echo="mc:1"),
        Step(choose=vote, echo="mv:1:for"),
        Step("/help"),
    ),
    "guest": (
        Step("/start"),
        Step("/join"),
        Step(choose=starting("join:privacy:yes"), echo="join:privacy:yes"),  # PIPL consent
        Step("有色金属数字化测试有限公司"),
        Step("/cancel"),
    ),
}


@dataclass
class User:
    telegram_id: int
    script: str
    round: int = 0
    last: Call | None = None  # the bot's last reply to them (sent or edited)


def population(world: World, contacts: int, guests: int) -> list[User]:
    """Contacts, every seat holder and guests, in a fixed shuffled order."""
    users = [User(t, "contact") for t in world.contacts[:contacts]]
    users += [User(t, "holder") for t in world.holders]
    users += [User(t, "guest") for t in world.guests[:guests]]
    random.Random(9).shuffle(users)
    return users


@dataclass
class Waiting:
    """An update queued at the server, until the bot has answered it."""

    kind: str
    chat_id: int
    queued: float
    query_id: str | None
    done: asyncio.Future[float]
    answered: Call | None = None
    content: Call | None = None


class Server(FakeBotApi):
    """The fake Bot API server, told which updates are awaited: each call is matched to its
    update as it is recorded, instead of searching the calls afterwards."""

    def __init__(self) -> None:
        super().__init__(TOKEN)
        self.by_chat: dict[int, Waiting] = {}
        self.by_query: dict[str, Waiting] = {}

    def _record(self, call: Call) -> None:
        super()._record(call)
        if call.error_code is not None:
            return
        if call.method == "answerCallbackQuery":
            waiting = self.by_query.get(str(call.params.get("callback_query_id")))
            if waiting is not None:
                waiting.answered = call
                if call.params.get("text") or waiting.content is not None:
                    self._finish(waiting, call)
        elif call.method in CONTENT:
            waiting = self.by_chat.get(int(call.params.get("chat_id") or 0))
            if waiting is not None and waiting.content is None:
                waiting.content = call
                if waiting.query_id is None or waiting.answered is not None:
                    self._finish(waiting, call)

    def _finish(self, waiting: Waiting, call: Call) -> None:
        self.by_chat.pop(waiting.chat_id, None)
        if waiting.query_id is not None:
            self.by_query.pop(waiting.query_id, None)
        if not waiting.done.done():
            waiting.done.set_result(call.at)

    def send(self, user_id: int, text: str) -> Waiting:
        queued = time.monotonic()
        self.user_message(user_id, text, LANGUAGE)
        return self._await(kind_of(text), user_id, queued, None)

    def press(self, user_id: int, message_id: int, data: str) -> Waiting:
        queued = time.monotonic()
        update_id = self.user_press(user_id, message_id, data, LANGUAGE)
        query_id = str(self.updates[update_id]["callback_query"]["id"])
        return self._await(kind_of(data=data), user_id, queued, query_id)

    def _await(self, kind: str, chat_id: int, queued: float, query_id: str | None) -> Waiting:
        future = asyncio.get_running_loop().create_future()
        waiting = Waiting(kind, chat_id, queued, query_id, future)
        self.by_chat[chat_id] = waiting
        if query_id is not None:
            self.by_query[query_id] = waiting
        return waiting


def buttons_of(call: Call | None) -> Buttons:
    if call is None:
        return []
    markup: Json = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if b.get("callback_data")]


@dataclass
class Load:
    """What the users saw during one run."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    alerts: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)  # no such button to press
    unanswered: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    ended: float = 0.0

    @property
    def handled(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


async def drive(
    server: Server, users: list[User], updates: int, concurrency: int, echo: bool
) -> Load:
    """`concurrency` users at a time go through their scripts until `updates` were sent."""
    load, budget = Load(), [updates]
    turns, active = itertools.cycle(users), set()

    def next_user() -> User:
        for user in turns:
            if user.telegram_id not in active:
                active.add(user.telegram_id)
                return user
        raise AssertionError("no users")

    async def step(user: User, step: Step) -> bool:
        if step.text is not None:
            waiting = server.send(user.telegram_id, step.text)
        else:
            assert step.choose is not None
            data = step.echo if echo else step.choose(buttons_of(user.last), user.round)
            if data is None or user.last is None:
                load.missing[step.kind] += 1
                return False
            waiting = server.press(user.telegram_id, user.last.result["message_id"], data)
        try:
            answered_at = await asyncio.wait_for(waiting.done, STEP_TIMEOUT)
        except TimeoutError:
            server.by_chat.pop(waiting.chat_id, None)
            load.unanswered[waiting.kind] += 1
            return False
        load.latencies[waiting.kind].append(answered_at - waiting.queued)
        load.ended = max(load.ended, answered_at)
        if waiting.content is not None:
            user.last = waiting.content
        elif waiting.answered is not None:
            load.alerts[waiting.kind] += 1
        return True

    async def slot() -> None:
        while budget[0] > 0:
            user = next_user()
            for each in SCRIPTS[user.script]:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                if not await step(user, each):
                    break
            user.round += 1
            active.discard(user.telegram_id)

    load.started = time.monotonic()
    await asyncio.gather(*(slot() for _ in range(concurrency)))
    return load


# -- the bot's process -----------------------------------------------------------------------


@dataclass
class Process:
    """A bot running in a process of its own."""

    child: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        return self.child.pid

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM of the process, in kB."""
        figures = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
        return figures

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> Json:
        """SIGTERM, as a platform stops the bot; returns what the process printed last."""
        self.child.send_signal(signal.SIGTERM)
        assert self.child.stdout is not None
        out = await asyncio.wait_for(self.child.stdout.read(), 120)
        await self.child.wait()
        lines = out.decode().strip().splitlines()
        return json.loads(lines[-1]) if lines else {}


async def start_bot(engine: str, mode: str, url: str, api_url: str, log: Path) -> Process:
    with log.open("ab") as errors:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bots", engine, mode, url, api_url,
            stdout=asyncio.subprocess.PIPE, stderr=errors,
        )  # fmt: skip
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), 300)
    if line.strip() != b"ready":
        await child.wait()
        raise RuntimeError(f"the {engine} {mode} bot did not start; see {log}")
    return Process(child)


# -- one run, and the whole benchmark --------------------------------------------------------


@dataclass
class Run:
    engine: str
    mode: str
    units: int
    load: Load
    idle: Load  # one user at a time, after the load: an update's own cost
    seconds: float
    cpu: float  # CPU seconds of the bot's process during the load
    memory: dict[str, int]
    result: Json

    @property
    def rate(self) -> float:
        return self.load.handled / self.seconds

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / max(self.load.handled, 1)

    def quantile(self, percent: int, idle: bool = False) -> float:
        return quantile((self.idle if idle else self.load).all(), percent)


def quantile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


@dataclass
class Bench:
    args: argparse.Namespace
    folder: Path
    templates: dict[int, tuple[str, World]] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.folder / "bots.log"

    async def database(self, units: int) -> tuple[str, World]:
        """A freshly seeded database with `units` units (SQLite: a copy of a template)."""
        if self.args.database_url:
            if await _has_tables(self.args.database_url):
                await databases.truncate_all(self.args.database_url)
            return self.args.database_url, await seed(self.args.database_url, units)
        if units not in self.templates:
            path = self.folder / f"template{units}.sqlite3"
            self.templates[units] = (str(path), await seed(databases.sqlite_url(path), units))
        template, world = self.templates[units]
        copy = self.folder / f"run{time.monotonic_ns()}.sqlite3"
        shutil.copy(template, copy)
        return databases.sqlite_url(copy), world

    async def run(self, engine: str, mode: str, units: int, updates: int) -> Run:
        url, world = await self.database(units)
        users = population(world, self.args.people, self.args.guests)
        concurrency = min(self.args.concurrency, len(users) // 2)
        async with Server() as server:
            bot = await start_bot(
                engine, mode, url if mode != "echo" else "-", server.url, self.log
            )
            try:
                cpu = bot.cpu_seconds()
                load = await drive(server, users, updates, concurrency, echo=mode != "ours")
                cpu = bot.cpu_seconds() - cpu
                memory = bot.status()
                idle = await drive(server, users, self.args.idle_updates, 1, mode != "ours")
            finally:
                result = await bot.stop()
        seconds = load.ended - load.started
        return Run(engine, mode, units, load, idle, seconds, cpu, memory, result)


async def _has_tables(url: str) -> bool:
    from sqlalchemy import inspect

    from storage.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return bool(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def print_table(runs: list[Run]) -> None:
    echo = {r.engine: r for r in runs if r.mode == "echo"}
    print(f"\n{'engine':8} {'mode':5} {'updates':>7} {'updates/s':>9} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'ratio':>6} {'CPU ms/upd':>10} {'CPU ratio':>9} "
          f"{'idle p50':>8} {'idle p99':>8}")  # fmt: skip
    for r in runs:
        base = echo.get(r.engine) if r.mode != "echo" else None
        ratio = f"{r.rate / base.rate:6.2f}" if base else "     -"
        cost = f"{base.cpu_per_update / r.cpu_per_update:9.2f}" if base else "        -"
        print(f"{r.engine:8} {r.mode:5} {r.load.handled:7} {r.rate:9.1f} "
              f"{1000 * r.quantile(50):7.1f} {1000 * r.quantile(99):7.1f} {ratio} "
              f"{1000 * r.cpu_per_update:10.2f} {cost} {1000 * r.quantile(50, True):8.1f} "
              f"{1000 * r.quantile(99, True):8.1f}")  # fmt: skip
    print("p50/p99: latency under the saturating feed (queueing behind the other users' "
          "updates);\nratio: updates/s over the bare echo's on the same engine (goal for ours "
          "≥ 0.5; the floor's is the most any bot could reach that makes, as DESIGN.md asks, "
          "one transaction per update recording its id and reading the sender);\nCPU ratio: "
          "the echo's CPU time per update over the row's, in the bot's process (less "
          "sensitive to other load on the machine);\nidle p50/p99: latency in ms with one "
          "user at a time, after the load")  # fmt: skip


def print_memory(runs: list[Run], units: int) -> None:
    print(f"\nResident memory of the bot's process after its run ({units} units in the database;"
          " the fake server and the users run in another process):")  # fmt: skip
    for r in runs:
        rss, peak = r.memory.get("VmRSS", 0) / 1024, r.memory.get("VmHWM", 0) / 1024
        print(f"  {r.engine:8} {r.mode:5} after {r.load.handled:6} updates: "
              f"VmRSS {rss:6.1f} MB (peak {peak:6.1f} MB)")  # fmt: skip
    print("  goal: under 150 MB for ours")


def print_types(runs: list[Run], small: Run | None) -> None:
    ours = [r for r in runs if r.mode == "ours"]
    if not ours:
        return
    heading = "".join(f" {r.engine + ' idle p50':>16}" for r in ours)
    head_units = f"SQL {ours[0].units}u 1st/Nth"
    small_units = f"SQL {small.units}u 1st/Nth" if small else ""
    print(f"\n{'update type':22} {'count':>6}{heading} {head_units:>20} {small_units:>18}")
    first = ours[0]
    for kind, name in KINDS.items():
        if kind not in first.load.latencies:
            continue
        cells = "".join(f" {_ms(quantile(r.idle.latencies[kind], 50)):>16}" for r in ours)
        counts = _statements(first, kind)
        small_counts = _statements(small, kind) if small else ""
        print(f"{name:22} {len(first.load.latencies[kind]):6}{cells} {counts:>20} "
              f"{small_counts:>18}")  # fmt: skip
    for r in ours:
        handled = max(r.load.handled, 1)
        per = r.result.get("background", 0) / handled
        print(f"background statements ({r.engine}: inbox, outbox worker, reminders): "
              f"{per:.2f} per update")  # fmt: skip


def _ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{1000 * seconds:.1f}"  # NaN: none of that type


def _statements(run: Run | None, kind: str) -> str:
    counts = (run.result.get("statements") or {}).get(kind, []) if run else []
    if not counts:
        return "-"
    spread = f" ({min(counts)}–{max(counts)})" if min(counts) != max(counts) else ""
    return f"{counts[0]}/{counts[-1]}{spread}"


def print_health(runs: list[Run]) -> None:
    for r in runs:
        troubles = {
            "alerts": dict(r.load.alerts),
            "no button": dict(r.load.missing),
            "unanswered": dict(r.load.unanswered),
        }
        name = f"{r.engine} {r.mode}" + (f" ({r.units} units)" if r.units == SMALL_CENTER else "")
        troubles["logged"] = r.result.get("warnings", {})
        shown = {k: v for k, v in troubles.items() if v}
        if shown:
            print(f"  {name}: {shown}")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(args, Path(folder))
        where = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{args.updates} updates per run, {args.concurrency} users at once, {where}, "
              f"{args.units} units; bots in their own processes; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        runs = []
        for engine in args.engines.split(","):
            for mode in MODES:
                started = time.monotonic()
                run = await bench.run(engine, mode, args.units, args.updates)
                runs.append(run)
                print(f"  {engine} {mode}: {run.load.handled} updates in {run.seconds:.1f} s "
                      f"(run {time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
        small = None
        if args.small_updates:
            first = args.engines.split(",")[0]
            small = await bench.run(first, "ours", SMALL_CENTER, args.small_updates)
            print(f"  {first} ours with {SMALL_CENTER} units: {small.load.handled} updates",
                  flush=True)  # fmt: skip
        print(f"load average of the machine: {os.getloadavg()[0]:.1f}", flush=True)
        print_table(runs)
        print_memory(runs, args.units)
        print_types(runs, small)
        print("\nTrouble seen (none is good): alerts, no button, unanswered, bot logs:")
        print_health([*runs, *([small] if small else [])])
        logged = bench.log.read_text().splitlines() if bench.log.exists() else []
        logged = [line for line in logged if "Received SIGTERM" not in line]
        if logged:
            print("\nThe bots' last lines on stderr:")
            print("\n".join(logged[-6:]))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--updates", type=int, default=1_000, help="updates per run")
    parser.add_argument("--engines", default="aiogram,ptb", help="aiogram, ptb or both")
    parser.add_argument("--database-url", default=None, help="PostgreSQL; SQLite by default")
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=50, help="users acting at once")
    parser.add_argument("--people", type=int, default=500, help="contacts among the users")
    parser.add_argument(
        "--idle-updates", type=int, default=150, help="then updates with one user at a time"
    )
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument(
        "--small-updates", type=int, default=300, help="updates with 10 units (0: skip)"
    )
    return parser


if __name__ == "__main__":
    asyncio.run(main(_parser().parse_args()))
