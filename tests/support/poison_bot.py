"""`python -m tests.support.poison_bot run`: the real bot, with one more command for the
tests. `/poison` kills the process while the update is in hand — its transaction open, as
when an XLSX exhausted the memory and the system killed the bot — and comes back at every
start unless the bot sets it aside. Never imported by the bot itself."""

from __future__ import annotations

import os
import signal
import sys

import handlers
from bot.__main__ import main
from bot.context import Context
from bot.routing import Command, Feature

_all_features = handlers.features


async def poison(_ctx: Context) -> None:
    """Kills the process, as the kernel's OOM killer would: no clean-up, no reply."""
    os.kill(os.getpid(), signal.SIGKILL)


def features() -> list[Feature]:
    return [*_all_features(), Feature(commands=[Command("poison", poison, "", in_menu=False)])]


if __name__ == "__main__":
    handlers.features = features
    sys.exit(main())
