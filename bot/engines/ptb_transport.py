"""The outbox's transport over python-telegram-bot, with its own Bot and connections."""

from __future__ import annotations

import os
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.delivery import transport
from bot.delivery.content import CAPTION_LIMIT
from bot.protocol import Buttons, Reply


def timedelta_durations() -> None:
    """Opts in to PTB 22's durations as `timedelta` (`RetryAfter.retry_after`, read below as
    either): without it each 429 raises a deprecation warning inside the library."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")


class PtbTransport:
    """Sends outbox messages through the Telegram Bot API with python-telegram-bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    async def connect(
        cls, token: str, api_url: str, answer_within: float | None = None
    ) -> PtbTransport:
        """`answer_within`: seconds to wait for an answer (TELEGRAM_TIMEOUT); else PTB's own."""
        timedelta_durations()
        url = api_url.rstrip("/")
        wait = answer_within
        request = HTTPXRequest(read_timeout=wait, write_timeout=wait) if wait else None
        bot = Bot(token, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot", request=request)
        await bot.initialize()
        return cls(bot)

    async def close(self) -> None:
        await self.bot.shutdown()

    async def send(self, chat_id: int, reply: Reply) -> int:
        try:
            return await self._send(chat_id, reply)
        except TelegramError as error:
            raise delivery_error(error, chat_id) from error

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        try:
            await self.bot.edit_message_text(
                reply.text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=keyboard(reply.buttons),
            )
        except TelegramError as error:
            raise delivery_error(error, chat_id) from error

    async def delete(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.delete_message(chat_id, message_id)
        except TelegramError as error:
            raise delivery_error(error, chat_id) from error

    async def _send(self, chat_id: int, reply: Reply) -> int:
        markup, protect = keyboard(reply.buttons), reply.protect
        mode = "HTML" if reply.html else None
        if reply.file is None:
            message = await self.bot.send_message(
                chat_id, reply.text, reply_markup=markup, protect_content=protect, parse_mode=mode
            )
            return message.message_id
        if len(reply.text) > CAPTION_LIMIT:  # the outbox splits these (content.parts)
            raise transport.Permanent("caption longer than Telegram allows")
        document = reply.file.file_id or InputFile(reply.file.content or b"", reply.file.name)
        message = await self.bot.send_document(
            chat_id,
            document,
            caption=reply.text or None,
            reply_markup=markup,
            protect_content=protect,
            parse_mode=mode,
        )
        return message.message_id


def delivery_error(error: TelegramError, chat_id: int) -> transport.DeliveryError:
    """Maps python-telegram-bot's errors on the transport's typed errors."""
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return transport.RetryAfter(seconds, chat_id, str(error))
    if isinstance(error, Forbidden):
        return transport.Blocked(error.message)
    if isinstance(error, BadRequest | ChatMigrated):
        return transport.Permanent(error.message)
    if isinstance(error, TimedOut):
        return transport.Transient(error.message, maybe_delivered=True)
    if isinstance(error, NetworkError | InvalidToken):
        # NetworkError covers 5xx answers too; a rotated token is the setup's fault.
        return transport.Transient(error.message)
    return transport.Permanent(error.message)


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a reply, for the outbox's sends and the engine's own."""
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
        for row in buttons
    ]
    return InlineKeyboardMarkup(rows)
