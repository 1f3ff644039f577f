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


class Progress:
    """Finds the broadcasts due for a progress update, finishes those that are done."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], catalogs: Catalogs, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.catalogs = catalogs
        self.settings = settings

    async def due(self, now: datetime) -> list[Display]:
        """Takes the batches not shown for `progress_interval` (another instance skips them)."""
        last_before = now - timedelta(seconds=self.settings.progress_interval)
        async with self.sessions() as session, session.begin():
            batches = await outbox.claim_progress(session, now, last_before)
            shown = [await self._update(session, batch, now) for batch in batches]
        return [display for display in shown if display is not None]

    async def _update(
        self, session: AsyncSession, batch: DeliveryBatch, now: datetime
    ) -> Display | None:
        counts = await outbox.counts(session, batch.id)
        t = self.catalogs.translator(batch.locale or self.settings.default_locale)
        if counts.open:
            elapsed = (now - batch.created_at).total_seconds()
            left = seconds_left(counts.open, counts.done, elapsed, self.settings.send_rate)
            text = reports.progress_text(t, batch.title, counts, left)
        else:
            await outbox.finish_batch(session, batch.id, now)
            names = await reports.names_of(
                session, await outbox.blocked_chats(session, batch.id, reports.NAMES_SHOWN)
            )
            reasons = await outbox.failure_reasons(session, batch.id, reports.REASONS_SHOWN)
            text = reports.final_text(t, batch.title, counts, names, reasons)
            if batch.starter_chat_id is not None:
                await self._report(session, batch, text, now)
        if batch.starter_chat_id is None:
            return None
        return Display(batch.id, batch.starter_chat_id, batch.progress_message_id, text)

    async def _report(
        self, session: AsyncSession, batch: DeliveryBatch, text: str, now: datetime
    ) -> None:
        """The final report is a new message, through the outbox, so it arrives and notifies."""
        assert batch.starter_chat_id is not None
        await outbox.add(
            session,
            batch.starter_chat_id,
            columns(Reply(text)),
            purpose=f"report:{batch.purpose}",
            now=now,
            dedup_key=f"batch:{batch.id}:report",
        )

    async def show(self, display: Display, transport: Transport) -> Display | DeliveryError:
        """Edits the progress message, or sends it the first time; returns the display with
        its message id, or the error. A lost update is harmless: the next has newer figures."""
        reply = Reply(display.text)
        try:
            if display.message_id is not None:
                await transport.edit(display.chat_id, display.message_id, reply)
                return display
            message_id = await transport.send(display.chat_id, reply)
        except DeliveryError as error:
            log.info("progress of batch %s not shown: %s", display.batch_id, error.reason)
            return error
        async with self.sessions() as session, session.begin():
            await outbox.set_progress_message(session, display.batch_id, message_id)
        return replace(display, message_id=message_id)
