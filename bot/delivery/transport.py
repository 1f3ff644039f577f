"""What an engine implements so the outbox can send: a `Transport`, and its typed errors."""

from __future__ import annotations

from typing import Protocol

from bot.protocol import Reply


class Transport(Protocol):
    """Sends to a chat on a platform. Raises a `DeliveryError` when a send does not go."""

    async def send(self, chat_id: int, reply: Reply) -> int:
        """Sends `reply` to `chat_id`; returns the platform's message id."""
        ...

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        """Replaces the text and buttons of a message sent before."""
        ...

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Deletes a message sent before (Telegram allows it for 48 hours)."""
        ...


class DeliveryError(Exception):
    """A send that did not go through; `reason` is kept on the outbox row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:500]


class RetryAfter(DeliveryError):
    """429: wait `seconds` before sending again — to `chat_id`, or to anyone when None."""

    def __init__(self, seconds: float, chat_id: int | None, reason: str = "") -> None:
        super().__init__(reason or f"flood control: retry after {seconds:g} s")
        self.seconds = seconds
        self.chat_id = chat_id


class Blocked(DeliveryError):
    """403: the person blocked the bot or the chat is gone; nothing more can reach it."""


class Transient(DeliveryError):
    """A network error or a 5xx; worth retrying. `maybe_delivered` when the request may
    have reached the platform before the error (a timeout), so a retry may duplicate it."""

    def __init__(self, reason: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(reason)
        self.maybe_delivered = maybe_delivered


class Permanent(DeliveryError):
    """A 4xx other than 403 and 429: the message itself is refused; retrying will not help."""
