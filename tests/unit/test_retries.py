"""A failed job is tried again within minutes, with a back-off (bot/reminders/retries.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.reminders.retries import Retries, retry_delay
from tests.support.clock import FakeClock


def test_the_wait_doubles_from_a_minute_up_to_half_an_hour() -> None:
    minutes = [retry_delay(failures) / timedelta(minutes=1) for failures in range(1, 8)]
    assert minutes == [1, 2, 4, 8, 16, 30, 30]


async def test_a_failed_job_runs_again_when_its_wait_is_over_and_then_is_forgotten() -> None:
    clock, retries, runs = FakeClock(), Retries(), []

    async def attempt() -> None:
        runs.append(clock.now())
        if len(runs) < 3:
            raise OSError("database unreachable")

    assert not await retries.run("job:membership", attempt, clock)
    await retries.run_due(clock)
    assert len(runs) == 1  # not at once
    clock.advance(minutes=1)
    await retries.run_due(clock)  # fails again: the next wait is 2 minutes
    clock.advance(minutes=1, seconds=59)
    await retries.run_due(clock)
    assert len(runs) == 2
    clock.advance(seconds=1)
    await retries.run_due(clock)
    assert len(runs) == 3 and retries.waiting == {}
