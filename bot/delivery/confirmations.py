"""What the outbox records once Telegram confirmed a send, by the row's `on_sent` kind.

A record that says something was delivered must not be written before it was: the handler
puts it on the outbox row (`Reply.on_sent`), and the worker writes it in the transaction that
marks the row sent — once, however many attempts the send took.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import documents

log = logging.getLogger(__name__)

Recorder = Callable[[AsyncSession, dict[str, Any], datetime], Awaitable[None]]

DOCUMENT_DELIVERY = "document_delivery"  # the access log's line (art. 14(4))
RECORDERS: dict[str, Recorder] = {DOCUMENT_DELIVERY: documents.log_delivered}


async def record(session: AsyncSession, on_sent: dict[str, Any], sent_at: datetime) -> None:
    """Writes what `on_sent` names, as of `sent_at`, in the caller's transaction."""
    recorder = RECORDERS.get(str(on_sent.get("kind")))
    if recorder is None:  # a row from a newer version of the bot: sent, left unrecorded
        log.error("no recorder for an outbox row's on_sent kind %r", on_sent.get("kind"))
        return
    await recorder(session, dict(on_sent.get("data") or {}), sent_at)
