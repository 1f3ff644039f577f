"""Jobs that failed, tried again soon rather than at their next daily run.

A daily job that fails at 09:00 (the database briefly unavailable, a lock) would otherwise
wait a whole day: a withdrawal would stay pending past its date, with the rights it keeps.
A failed run is tried again 1, 2, 4 … up to 30 minutes later, by the reminder sweep, on the
injected clock; the first success clears it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock

log = logging.getLogger(__name__)

Attempt = Callable[[], Awaitable[None]]

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(minutes=30)


def retry_delay(failures: int) -> timedelta:
    """How long after its `failures`-th failure in a row a job is tried again."""
    return min(FIRST_RETRY * 2 ** min(failures - 1, 10), LONGEST_WAIT)


@dataclass
class _Waiting:
    failures: int
    at: datetime
    attempt: Attempt


@dataclass
class Retries:
    """The failed jobs of one process, by job id, each with when it is tried again."""

    waiting: dict[str, _Waiting] = field(default_factory=dict)

    async def run(self, job_id: str, attempt: Attempt, clock: Clock) -> bool:
        """Runs `attempt`; on failure books the next try. True if it succeeded."""
        try:
            await attempt()
        except (SQLAlchemyError, OSError) as error:  # the database: no traceback to read
            self._failed(job_id, attempt, clock.now(), type(error).__name__)
            return False
        except Exception as error:
            log.exception("job %s failed", job_id)
            self._failed(job_id, attempt, clock.now(), type(error).__name__)
            return False
        self.waiting.pop(job_id, None)
        return True

    async def run_due(self, clock: Clock) -> None:
        """Tries again each failed job whose time came."""
        now = clock.now()
        for job_id, waiting in list(self.waiting.items()):
            if waiting.at <= now:
                await self.run(job_id, waiting.attempt, clock)

    def _failed(self, job_id: str, attempt: Attempt, now: datetime, why: str) -> None:
        before = self.waiting.get(job_id)
        failures = before.failures + 1 if before else 1
        at = now + retry_delay(failures)
        self.waiting[job_id] = _Waiting(failures, at, attempt)
        log.warning("job %s failed (%s); tried again at %s", job_id, why, at.isoformat())
