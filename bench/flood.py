"""Flood benchmark (issue 10), run by hand, not in CI:

    .venv/bin/python -m bench.flood [--engine aiogram|ptb] [--database-url URL] [--rate 500]

One person sends `--rate` messages a second for `--seconds` while 40 others each send /help,
through a Telegram engine polling the fake Bot API server (tests/support/fake_bot_api.py).
Printed: the others' reply times (p50, p95) without the flood (the baseline, same run) and
during it, as a ratio; and what the flooder got: updates handled, answers, warnings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.app import build_app
from bot.dispatch import SLOW_DOWN
from bot.engines.aiogram_engine import AiogramEngine
from bot.engines.ptb_engine import PtbEngine
from bot.settings import Settings
from tests.support.fake_bot_api import FakeBotApi

TOKEN = "123:BENCH"
FLOODER = 777_000
OTHERS = range(900_000, 900_040)
ENGINES = {"aiogram": AiogramEngine, "ptb": PtbEngine}


async def reply_times(server: FakeBotApi, gap: float) -> list[float]:
    """Each of the others sends /help, `gap` apart; the seconds until each is answered."""
    mine = lambda p: int(p["chat_id"]) in OTHERS  # noqa: E731
    already = len(server.calls_of("sendMessage", mine))
    asked: dict[int, float] = {}
    for user in OTHERS:
        asked[user] = time.monotonic()
        server.user_message(user, "/help")
        await asyncio.sleep(gap)
    calls = await server.wait_for("sendMessage", mine, count=already + len(OTHERS), timeout=60)
    answered = {int(c.params["chat_id"]): c.at for c in calls[already:]}
    return [answered[user] - asked[user] for user in asked]


async def flood(server: FakeBotApi, rate: int, seconds: float) -> int:
    """Queues `rate` messages a second from one person, in ticks of 10 ms; returns how many."""
    sent, started = 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate)
        for n in range(sent, due):
            server.user_message(FLOODER, f"flood {n}")
        sent = max(sent, due)
        await asyncio.sleep(0.01)
    return sent


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with FakeBotApi(TOKEN) as server:
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            settings = Settings(
                _env_file=None,
                database_url=url,
                bot_token=TOKEN,
                telegram_api_url=server.url,
                polling_timeout=1,
                send_rate=1000,
            )
            app = await build_app(settings)
            engine = ENGINES[args.engine](app, "127.0.0.1")
            running = asyncio.create_task(engine.run(handle_signals=False))
            await engine.ready.wait()
            await reply_times(server, 0.05)  # warm-up: start-up jobs, first queries
            quiet = await reply_times(server, 0.05)
            flooding = asyncio.create_task(flood(server, args.rate, args.seconds))
            await asyncio.sleep(0.5)  # the flood is under way
            loud = await reply_times(server, 0.05)
            flooded = await flooding
            await asyncio.sleep(1)  # the last of the flood is read
            engine.stop()
            await running
            await engine.close()
            to_flooder = server.calls_of("sendMessage", lambda p: int(p["chat_id"]) == FLOODER)
            await app.close()
    texts = [c.params.get("text") for c in to_flooder]
    q = lambda v, n: statistics.quantiles(v, n=100)[n - 1]  # noqa: E731
    return {
        "engine": args.engine,
        "others p50 s (quiet / flood)": (round(q(quiet, 50), 3), round(q(loud, 50), 3)),
        "others p95 s (quiet / flood)": (round(q(quiet, 95), 3), round(q(loud, 95), 3)),
        "p95 ratio flood / quiet": round(q(loud, 95) / q(quiet, 95), 2),
        "flooder messages": flooded,
        "flooder answered": len(texts) - texts.count(SLOW_DOWN),
        "flooder warnings": texts.count(SLOW_DOWN),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__)
    parser.add_argument("--engine", choices=list(ENGINES), default="aiogram")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rate", type=int, default=500, help="flooder's messages a second")
    parser.add_argument("--seconds", type=float, default=5.0)
    return parser


if __name__ == "__main__":
    for key, value in asyncio.run(run(_parser().parse_args())).items():
        print(f"{key:32} {value}")
