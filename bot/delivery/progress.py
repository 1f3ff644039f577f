"""A broadcast's progress message, edited in place at a bounded pace, and its final report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import reports
from bot.delivery.content import columns
from bot.delivery.policy import seconds_left
from bot.delivery.transport import DeliveryError, Transport
from bot.i18n import Catalogs
from bot.protocol import Reply
from bot.settings import Settings
from storage import outbox
from storage.models import DeliveryBatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Display:
    """What the progress message of a batch should read now."""

    batch_id: int
    chat_id: int
    message_id: int | None  # None until the first progress message is sent
    text: str
    final: bool = False  # the final report, shown by editing the progress message


class Progress:
    """Finds the broadcasts due for a progress update, finishes those that are done."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], catalogs: Catalogs, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.catalogs = catalogs
        self.settings = settings

    async def due(self, now: datetime, waiting: float = 0.0) -> list[Display]:
        """Takes the batches not shown for `progress_interval` (another instance skips them);
        `waiting`: seconds before Telegram lets the next send go (a pending retry_after)."""
        last_before = now - timedelta(seconds=self.settings.progress_interval)
        async with self.sessions() as session, session.begin():
            batches = await outbox.claim_progress(session, now, last_before)
            shown = [await self._update(session, batch, now, waiting) for batch in batches]
        return [display for display in shown if display is not None]

    async def _update(
        self, session: AsyncSession, batch: DeliveryBatch, now: datetime, waiting: float
    ) -> Display | None:
        counts = await outbox.counts(session, batch.id)
        t = self.catalogs.translator(batch.locale or self.settings.default_locale)
        if counts.open:
            elapsed = (now - batch.created_at).total_seconds()
            rate = self.settings.send_rate
            left = seconds_left(counts.open, counts.done, elapsed, rate, waiting)
            text = reports.progress_text(t, batch.title, counts, left)
            final = False
        else:
            names = await reports.names_of(
                session, await outbox.blocked_chats(session, batch.id, reports.NAMES_SHOWN)
            )
            reasons = await outbox.failure_reasons(session, batch.id, reports.REASONS_SHOWN)
            text = reports.final_text(t, batch.title, counts, names, reasons)
            final = True
            if batch.starter_chat_id is None or batch.progress_message_id is None:
                # No progress message to edit: the report, if anyone awaits it, is a message.
                await self._finish(session, batch, text if batch.starter_chat_id else None, now)
                return None
        if batch.starter_chat_id is None:
            return None
        return Display(batch.id, batch.starter_chat_id, batch.progress_message_id, text, final)

    async def _finish(
        self, session: AsyncSession, batch: DeliveryBatch, report: str | None, now: datetime
    ) -> None:
        """Ends the batch; with `report`, the final report goes as a new message, through the
        outbox, so it arrives and notifies even if nothing could be edited."""
        await outbox.finish_batch(session, batch.id, now)
        if report is None or batch.starter_chat_id is None:
            return
        await outbox.add(
            session,
            batch.starter_chat_id,
            columns(Reply(report)),
            purpose=f"report:{batch.purpose}",
            now=now,
            dedup_key=f"batch:{batch.id}:report",
        )

    async def finish_shown(
        self, display: Display, error: DeliveryError | None, now: datetime
    ) -> None:
        """After the final report was shown by an edit, the batch ends; if the edit failed,
        the report is sent as a new message instead — once, never both."""
        async with self.sessions() as session, session.begin():
            batch = await session.get(DeliveryBatch, display.batch_id)
            if batch is None or batch.finished_at is not None:
                return
            await self._finish(session, batch, display.text if error else None, now)

    async def show(
        self, display: Display, transport: Transport, now: datetime
    ) -> Display | DeliveryError:
        """Edits the progress message, or sends it the first time; returns the display with
        its message id, or the error. A lost update is harmless: the next has newer figures."""
        reply = Reply(display.text)
        try:
            if display.message_id is not None:
                await transport.edit(display.chat_id, display.message_id, reply)
                if display.final:
                    await self.finish_shown(display, None, now)
                return display
            message_id = await transport.send(display.chat_id, reply)
        except DeliveryError as error:
            log.info("progress of batch %s not shown: %s", display.batch_id, error.reason)
            if display.final:
                await self.finish_shown(display, error, now)
            return error
        async with self.sessions() as session, session.begin():
            await outbox.set_progress_message(session, display.batch_id, message_id)
        return replace(display, message_id=message_id)
