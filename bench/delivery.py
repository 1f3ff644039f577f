"""Delivery benchmark (issue 3), run by hand, not in CI:

    .venv/bin/python -m bench.delivery                      # SQLite in a temporary folder
    .venv/bin/python -m bench.delivery --database-url postgresql+asyncpg://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.delivery --only rate,storm     # some scenarios only

Everything talks HTTP to the fake Bot API server (tests/support/fake_bot_api.py) with
Telegram's limits enforced at the raised SEND_RATE (--rate). Scenarios:

- rate:      5,000 recipients; achieved rate as a share of SEND_RATE, and of a baseline
             measured in the same run (the limiter and transport alone, no database)
- flaky:     the same with 5% of sends refused with 429: lost and duplicated
- storm:     every send refused for 30 s (--storm-seconds) in the middle: lost,
             duplicated, 429s spent
- pair:      two workers with a limiter each (two processes' worth) sharing one outbox on
             PostgreSQL: their pace together as a share of SEND_RATE, 429s, lost, duplicated
- kill:      a worker process killed with SIGKILL mid-send, then a restart: lost,
             duplicated (bounded by DELIVERY_MAX_IN_FLIGHT), counted unknown, time to resume

Every broadcast also counts the sends that reached the server for a chat inside a
`retry_after` the server had announced for that chat (goal: 0).

- reply:     p95 reply time of /help through the aiogram engine during a broadcast, and
             the same without the broadcast as the baseline
- reminders: lateness p50/p99 of 10,000 reminders due in the same minute
- queries:   database statements per delivered message with 1,000 and with 100,000 rows
             in the outbox (counted with SQLAlchemy's before_cursor_execute)

A PostgreSQL database given with --database-url must exist; its tables are emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.delivery import api
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.testing import RecordingTransport
from bot.delivery.worker import OutboxWorker
from bot.engines.aiogram_transport import AiogramTransport
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.reminders.kinds import Firing, ReminderKind
from bot.reminders.scheduler import sweep_reminders
from bot.reminders.sweep import ReminderRuntime
from bot.settings import Settings
from storage import migrate, outbox
from storage.db import create_engine, session_factory
from storage.models import DeliveryStatus, OutboxMessage, Reminder, ReminderStatus
from tests.support import databases
from tests.support.fake_bot_api import SEND_METHODS, FakeBotApi, Faults, RateLimits

Sessions = async_sessionmaker[AsyncSession]
STARTER = 1
FIRST_CHAT = 100_000
CATALOGS_ARGS = ("zh_CN", "Asia/Shanghai")


@dataclass
class Bench:
    rate: float
    recipients: int
    database_url: str | None
    folder: Path
    storm_seconds: float = 30
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    _databases: int = 0

    def settings(self, url: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": url,
            "send_rate": self.rate,
            "delivery_max_in_flight": 50,
            "delivery_poll_interval": 0.05,
            "delivery_heartbeat": 1.0,
            "delivery_worker_timeout": 3.0,
            "progress_interval": 2.0,
            "reminder_poll_interval": 1.0,
            "bot_token": "123:TEST",
            **overrides,
        }
        return Settings(_env_file=None, **values)

    async def fresh_database(self) -> str:
        """An empty, migrated database for one scenario."""
        if self.database_url:
            await migrate_url(self.database_url)
            await databases.truncate_all(self.database_url)
            return self.database_url
        self._databases += 1
        url = databases.sqlite_url(self.folder / f"bench{self._databases}.sqlite3")
        await migrate_url(url)
        return url


async def migrate_url(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[tuple[AsyncEngine, Sessions]]:
    engine = create_engine(url)
    try:
        yield engine, session_factory(engine)
    finally:
        await engine.dispose()


def chats(count: int) -> range:
    return range(FIRST_CHAT, FIRST_CHAT + count)


async def queue_broadcast(sessions: Sessions, count: int) -> None:
    async with sessions() as session, session.begin():
        replies = [Reply(f"Notice to {chat}", chat_id=chat) for chat in chats(count)]
        await api.broadcast(
            session,
            replies,
            title="Bench",
            purpose="bench",
            starter_chat_id=STARTER,
            locale="en",
            now=datetime.now(UTC),
        )


def worker(sessions: Sessions, transport: Any, settings: Settings, name: str) -> OutboxWorker:
    limiter = RateLimiter(settings.send_rate, settings.per_chat_interval)
    catalogs = Catalogs(*CATALOGS_ARGS)
    return OutboxWorker(sessions, transport, limiter, settings, SystemClock(), catalogs, name=name)


def server_for(rate: float, faults: Faults | None = None) -> FakeBotApi:
    return FakeBotApi(rate_limits=RateLimits(overall_per_second=rate), faults=faults)


def delivered(server: FakeBotApi, count: int) -> Counter[int]:
    """Messages each recipient received (not the progress message and report)."""
    return Counter({chat: len(server.sent.get(chat, [])) for chat in chats(count)})


def losses(received: Counter[int]) -> dict[str, int]:
    return {
        "lost": sum(1 for n in received.values() if n == 0),
        "duplicated": sum(n - 1 for n in received.values() if n > 1),
    }


def sends_to_recipients(server: FakeBotApi) -> list[float]:
    return sorted(
        c.at
        for c in server.calls_of("sendMessage")
        if c.error_code is None and int(c.params["chat_id"]) >= FIRST_CHAT
    )


def refused(server: FakeBotApi) -> int:
    return sum(1 for c in server.calls if c.error_code == 429)


def sends_inside_retry_after(server: FakeBotApi) -> int:
    """Sends that reached the server for a chat before the end of a `retry_after` it had
    announced for that chat."""
    until: dict[int, float] = {}
    inside = 0
    for call in sorted(server.calls, key=lambda c: c.at):
        if call.method not in SEND_METHODS:
            continue
        chat = int(call.params["chat_id"])
        inside += call.at < until.get(chat, -1.0)
        if call.retry_after:
            until[chat] = max(until.get(chat, -1.0), call.at + call.retry_after)
    return inside


def pace(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def pace_of_most(times: list[float], share: float = 0.95) -> float:
    """The pace until `share` of the messages were out: retries after a 429 wait at least a
    second, so the last few stretch the whole run's figure."""
    return pace(times[: int(len(times) * share)])


# -- rate, flaky, storm ----------------------------------------------------------------------


async def baseline_rate(bench: Bench) -> float:
    """The limiter and transport alone: the best pace sends can keep without a database."""
    async with server_for(bench.rate) as server:
        transport = AiogramTransport.connect(server.token, server.url)
        limiter, clock = RateLimiter(bench.rate, 1.0), SystemClock()
        tasks = []
        for chat in chats(bench.recipients):
            now = limiter.at(clock.now())
            slot = limiter.book(chat, now)
            if slot > now:
                await asyncio.sleep(slot - now)
            tasks.append(asyncio.create_task(transport.send(chat, Reply("x"))))
        await asyncio.gather(*tasks, return_exceptions=True)
        await transport.close()
        return pace(sends_to_recipients(server))


async def broadcast_through_server(
    bench: Bench,
    server: FakeBotApi,
    during: Callable[[], Awaitable[None]] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    url = await bench.fresh_database()
    async with database(url) as (_engine, sessions):
        await queue_broadcast(sessions, bench.recipients)
        transport = AiogramTransport.connect(server.token, server.url)
        started = time.monotonic()
        settings = bench.settings(url)
        runs = [worker(sessions, transport, settings, f"bench{n}") for n in range(workers)]
        await asyncio.gather(*(r.run_until_idle() for r in runs), *([during()] if during else []))
        took = time.monotonic() - started
        await transport.close()
        async with sessions() as session:
            counts = await outbox.counts(session)
    return {"seconds": round(took, 2), "429s": refused(server), "unknown": counts.unknown,
            **losses(delivered(server, bench.recipients)),
            "inside retry_after": sends_inside_retry_after(server)}  # fmt: skip


async def scenario_rate(bench: Bench) -> dict[str, Any]:
    baseline = await baseline_rate(bench)
    async with server_for(bench.rate) as server:
        figures = await broadcast_through_server(bench, server)
        times = sends_to_recipients(server)
    bench.results["rate"] = figures
    achieved = pace(times)
    return {
        "achieved/s": round(achieved, 1),
        "of SEND_RATE": round(achieved / bench.rate, 3),
        "first 95% of SEND_RATE": round(pace_of_most(times) / bench.rate, 3),
        "baseline/s": round(baseline, 1),
        "of baseline": round(achieved / baseline, 3),
        **figures,
    }


async def scenario_flaky(bench: Bench) -> dict[str, Any]:
    faults = Faults(flood_fraction=0.05, flood_retry_after=1)
    async with server_for(bench.rate, faults) as server:
        figures = await broadcast_through_server(bench, server)
        times = sends_to_recipients(server)
    return {"of SEND_RATE": round(pace(times) / bench.rate, 3),
            "first 95% of SEND_RATE": round(pace_of_most(times) / bench.rate, 3),
            **figures}  # fmt: skip


async def scenario_storm(bench: Bench) -> dict[str, Any]:
    faults = Faults(flood_retry_after=1)
    seconds = bench.storm_seconds

    async def storm_in_the_middle() -> None:
        await asyncio.sleep(bench.recipients / bench.rate / 3)
        faults.flood_fraction = 1.0
        await asyncio.sleep(seconds)
        faults.flood_fraction = 0.0

    async with server_for(bench.rate, faults) as server:
        figures = await broadcast_through_server(bench, server, storm_in_the_middle)
    calm = bench.results.get("rate", {}).get("seconds", bench.recipients / bench.rate)
    ideal = calm + seconds  # the same broadcast without faults, plus the storm
    share = round(ideal / figures["seconds"], 3)
    return {**figures, "storm s": seconds, "calm + storm s": round(ideal, 2), "of that": share}


async def scenario_pair(bench: Bench) -> dict[str, Any]:
    if not bench.database_url:
        return {"skipped": "SQLite runs one process"}
    async with server_for(bench.rate) as server:
        figures = await broadcast_through_server(bench, server, workers=2)
        times = sends_to_recipients(server)
    return {"together of SEND_RATE": round(pace(times) / bench.rate, 3),
            "first 95% of SEND_RATE": round(pace_of_most(times) / bench.rate, 3),
            **figures}  # fmt: skip


# -- kill -9 ---------------------------------------------------------------------------------


async def scenario_kill(bench: Bench) -> dict[str, Any]:
    url = await bench.fresh_database()
    settings = bench.settings(url)
    async with server_for(bench.rate) as server, database(url) as (_engine, sessions):
        await queue_broadcast(sessions, bench.recipients)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.delivery", "child", url, server.url, str(bench.rate)
        )
        to_recipients = lambda p: int(p["chat_id"]) >= FIRST_CHAT  # noqa: E731
        await server.wait_for("sendMessage", to_recipients, bench.recipients // 3, timeout=60)
        child.kill()  # SIGKILL, in the middle of its sends
        await child.wait()
        killed_at, before = time.monotonic(), len(server.calls)
        transport = AiogramTransport.connect(server.token, server.url)
        await worker(sessions, transport, settings, "restarted").run_until_idle()
        await transport.close()
        resumed = next(c.at for c in server.calls[before:] if c.error_code is None) - killed_at
        async with sessions() as session:
            counts = await outbox.counts(session)
    return {"resumed after s": round(resumed, 3), "unknown": counts.unknown,
            "in-flight bound": settings.delivery_max_in_flight,
            **losses(delivered(server, bench.recipients))}  # fmt: skip


async def child(url: str, api_url: str, rate: str) -> None:
    """The worker process the kill scenario kills."""
    settings = Settings(
        _env_file=None, database_url=url, send_rate=float(rate), delivery_max_in_flight=50,
        delivery_poll_interval=0.05,
    )  # fmt: skip
    engine = create_engine(url)
    transport = AiogramTransport.connect("123:TEST", api_url)
    await worker(session_factory(engine), transport, settings, "child").run()


# -- interactive replies during a broadcast --------------------------------------------------


async def reply_times(server: FakeBotApi, commands: int, gap: float) -> list[float]:
    """Sends /help from `commands` users, `gap` apart; the seconds until each answer."""
    asked: dict[int, float] = {}
    for n in range(commands):
        user = 900_000 + n
        asked[user] = time.monotonic()
        server.user_message(user, "/help")
        await asyncio.sleep(gap)
    await server.wait_for(
        "sendMessage", lambda p: int(p["chat_id"]) in asked, count=commands, timeout=60
    )
    answered = {
        int(c.params["chat_id"]): c.at
        for c in server.calls_of("sendMessage", lambda p: int(p["chat_id"]) in asked)
        if c.error_code is None
    }
    return [answered[user] - asked[user] for user in asked]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def scenario_reply(bench: Bench) -> dict[str, Any]:
    from bot.app import build_app
    from bot.engines.aiogram_engine import AiogramEngine

    async with server_for(bench.rate) as server:
        url = await bench.fresh_database()
        app = await build_app(bench.settings(url, telegram_api_url=server.url))
        engine = AiogramEngine(app)  # it runs the app's outbox worker while it runs
        polling = asyncio.create_task(engine.run(handle_signals=False))
        await engine.ready.wait()
        idle = await reply_times(server, 40, 0.05)
        await queue_broadcast(app.sessions, bench.recipients)
        app.delivery.wake()
        await asyncio.sleep(1)
        busy = await reply_times(server, 40, 0.1)
        still_sending = len(sends_to_recipients(server)) < bench.recipients
        to_recipients = lambda p: int(p["chat_id"]) >= FIRST_CHAT  # noqa: E731
        await server.wait_for("sendMessage", to_recipients, bench.recipients, timeout=120)
        engine.stop()  # drains the worker: what is under way is recorded
        await polling
        await engine.close()
        await app.close()
    return {"p95 s": round(p95(busy), 3), "max s": round(max(busy), 3),
            "baseline p95 s": round(p95(idle), 3), "ratio": round(p95(busy) / p95(idle), 2),
            "broadcast running throughout": still_sending, "429s": refused(server)}  # fmt: skip


# -- reminders -------------------------------------------------------------------------------


async def render_bench(firing: Firing) -> Reply:
    return Reply(f"reminder {firing.reminder.id}")


async def scenario_reminders(bench: Bench, count: int = 10_000) -> dict[str, Any]:
    url = await bench.fresh_database()
    settings = bench.settings(url, send_rate=max(bench.rate, 400))
    due_from = datetime.now(UTC) + timedelta(seconds=3)
    async with server_for(settings.send_rate) as server, database(url) as (_e, sessions):
        async with sessions() as session, session.begin():
            await session.execute(insert(Reminder), [_reminder(n, due_from) for n in range(count)])
        kinds = {"bench": ReminderKind("bench", "bench", render_bench)}
        catalogs = Catalogs(*CATALOGS_ARGS)
        transport = AiogramTransport.connect(server.token, server.url)
        sender = worker(sessions, transport, settings, "bench")
        runtime = ReminderRuntime(
            sessions, catalogs, SystemClock(), settings, kinds, wake=sender.wake
        )
        delivering = asyncio.create_task(sender.run())
        while datetime.now(UTC) < due_from + timedelta(seconds=61):
            await sweep_reminders(runtime)  # what the interval job runs, every second
            await asyncio.sleep(settings.reminder_poll_interval)
        await sweep_reminders(runtime)
        await sender.run_until_idle()
        sender.stop()
        await delivering
        await transport.close()
        queued, sent = await _lateness(sessions)
    return {"queued p50 s": _q(queued, 50), "queued p99 s": _q(queued, 99),
            "sent p50 s": _q(sent, 50), "sent p99 s": _q(sent, 99), "reminders": len(sent),
            "poll interval s": settings.reminder_poll_interval}  # fmt: skip


def _reminder(n: int, due_from: datetime) -> dict[str, Any]:
    due = due_from + timedelta(seconds=60 * n / 10_000)
    return {"kind": "bench", "chat_id": FIRST_CHAT + n, "due_at": due, "payload": {},
            "dedup_key": f"bench:{n}", "status": ReminderStatus.PENDING, "created_at": due,
            "note": ""}  # fmt: skip


async def _lateness(sessions: Sessions) -> tuple[list[float], list[float]]:
    from sqlalchemy import select

    async with sessions() as session:
        rows = (await session.execute(
            select(Reminder.due_at, OutboxMessage.created_at, OutboxMessage.sent_at)
            .join(OutboxMessage, OutboxMessage.dedup_key == "reminder:" + Reminder.id.cast(
                OutboxMessage.dedup_key.type) + ":" + Reminder.chat_id.cast(
                OutboxMessage.dedup_key.type))
        )).all()  # fmt: skip
    queued = [(q - due).total_seconds() for due, q, _ in rows]
    sent = [(s - due).total_seconds() for due, _, s in rows if s is not None]
    return queued, sent


def _q(values: list[float], percent: int) -> float:
    return round(statistics.quantiles(values, n=100)[percent - 1], 3) if values else float("nan")


# -- database statements per message --------------------------------------------------------


async def scenario_queries(bench: Bench) -> dict[str, Any]:
    small = await _queries_per_message(bench, backlog=0, messages=1_000)
    large = await _queries_per_message(bench, backlog=99_000, messages=1_000)
    return {"1k rows: statements/msg": small[0], "1k rows: ms/msg": small[1],
            "100k rows: statements/msg": large[0], "100k rows: ms/msg": large[1],
            "ratio 100k/1k time": round(large[1] / small[1], 2)}  # fmt: skip


async def _queries_per_message(bench: Bench, backlog: int, messages: int) -> tuple[float, float]:
    url = await bench.fresh_database()
    async with database(url) as (engine, sessions):
        await _fill_sent(sessions, backlog)
        async with sessions() as session, session.begin():
            now = datetime.now(UTC)
            for chat in chats(messages):
                await api.notify(session, Reply("x", chat_id=chat), purpose="b", now=now)
        statements = _count_statements(engine)
        settings = bench.settings(url, send_rate=100_000)
        started = time.monotonic()
        await worker(sessions, RecordingTransport(SystemClock()), settings, "q").run_until_idle()
        took = time.monotonic() - started
    return round(statements[0] / messages, 2), round(1000 * took / messages, 3)


async def _fill_sent(sessions: Sessions, count: int) -> None:
    """Rows already delivered, as an outbox that has been in use for a while holds."""
    now = datetime.now(UTC)
    row = {"chat_id": 1, "purpose": "old", "priority": 10, "text": "old", "buttons": [],
           "protect": False, "status": DeliveryStatus.SENT, "uncertain": False, "attempts": 0,
           "next_attempt_at": now, "created_at": now, "sent_at": now}  # fmt: skip
    for start in range(0, count, 10_000):
        async with sessions() as session, session.begin():
            rows = [{**row, "chat_id": start + n} for n in range(min(10_000, count - start))]
            await session.execute(insert(OutboxMessage), rows)


def _count_statements(engine: AsyncEngine) -> list[int]:
    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    return counter


# -- running ---------------------------------------------------------------------------------

SCENARIOS = {
    "rate": scenario_rate,
    "flaky": scenario_flaky,
    "storm": scenario_storm,
    "pair": scenario_pair,
    "kill": scenario_kill,
    "reply": scenario_reply,
    "reminders": scenario_reminders,
    "queries": scenario_queries,
}


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(
            args.rate, args.recipients, args.database_url, Path(folder), args.storm_seconds
        )
        print(f"SEND_RATE={args.rate:g}/s, {args.recipients} recipients, "
              f"database {'PostgreSQL' if args.database_url else 'SQLite'}")  # fmt: skip
        for name in args.only.split(","):
            started = time.monotonic()
            figures = await SCENARIOS[name](bench)
            shown = ", ".join(f"{k} {v}" for k, v in figures.items())
            print(f"{name:10} ({time.monotonic() - started:5.1f} s)  {shown}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--recipients", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--storm-seconds", type=float, default=30)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    return parser


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        asyncio.run(child(*sys.argv[2:5]))
    else:
        asyncio.run(main(_parser().parse_args()))
