"""The outbox's transport over aiogram.

The transport has a `Bot` (and HTTP connection pool) of its own, so a broadcast never queues
in front of an interactive reply on the same connections. The engine's own replies are booked
in the shared rate limiter by the engine (`bot.delivery.ratelimit.pace_reply`).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    DeleteMessage,
    DeleteWebhook,
    EditMessageText,
    ForwardMessage,
    GetFile,
    GetUpdates,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import ClientConnectorError

from bot.delivery.content import CAPTION_LIMIT
from bot.delivery.transport import Blocked, DeliveryError, Permanent, RetryAfter, Transient
from bot.protocol import Buttons, Reply

PACED = (SendMessage, SendDocument, SendPhoto, CopyMessage, ForwardMessage, EditMessageText)

# aiogram reads every answer as `Response[<the method's result type>]`, a pydantic generic
# model that pydantic caches only weakly: each garbage collection drops it and the next call
# builds it again (5 ms for a Message; 4-5% of the bot's CPU in bench.engines). Holding the
# ones the bot uses keeps them built.
RESPONSE_MODELS = tuple(
    Response[method.__returning__]
    for method in (
        *PACED,
        AnswerCallbackQuery,
        DeleteMessage,
        DeleteWebhook,
        GetFile,
        GetUpdates,
        SetMyCommands,
        SetWebhook,
    )
)


class AiogramTransport:
    """Sends outbox messages through the Telegram Bot API with aiogram."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def connect(
        cls, token: str, api_url: str, answer_within: float | None = None
    ) -> AiogramTransport:
        """`answer_within`: seconds to wait for an answer (TELEGRAM_TIMEOUT); else aiogram's."""
        api = TelegramAPIServer.from_base(api_url)
        wait = answer_within
        session = AiohttpSession(api=api, timeout=wait) if wait else AiohttpSession(api=api)
        return cls(Bot(token, session=session, default=DefaultBotProperties(parse_mode=None)))

    async def close(self) -> None:
        await self.bot.session.close()

    async def send(self, chat_id: int, reply: Reply) -> int:
        try:
            return await self._send(chat_id, reply)
        except (TelegramAPIError, ClientDecodeError) as error:
            raise delivery_error(error, chat_id) from error

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        try:
            await self.bot.edit_message_text(
                text=reply.text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=keyboard(reply.buttons),
            )
        except (TelegramAPIError, ClientDecodeError) as error:
            raise delivery_error(error, chat_id) from error

    async def delete(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.delete_message(chat_id, message_id)
        except (TelegramAPIError, ClientDecodeError) as error:
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
            raise Permanent("caption longer than Telegram allows")
        document = reply.file.file_id or BufferedInputFile(
            reply.file.content or b"", reply.file.name
        )
        message = await self.bot.send_document(
            chat_id,
            document,
            caption=reply.text or None,
            reply_markup=markup,
            protect_content=protect,
            parse_mode=mode,
        )
        return message.message_id


def delivery_error(error: TelegramAPIError | ClientDecodeError, chat_id: int) -> DeliveryError:
    """Maps aiogram's errors on the transport's typed errors."""
    if isinstance(error, TelegramRetryAfter):
        # Telegram does not say whether the limit is the chat's or the bot's; the worker
        # treats it as the chat's unless many chats are refused at once (ratelimit.is_storm).
        return RetryAfter(error.retry_after, chat_id, str(error))
    if isinstance(error, TelegramForbiddenError):
        return Blocked(error.message)
    if isinstance(error, TelegramEntityTooLarge | TelegramMigrateToChat):
        return Permanent(error.message)
    if isinstance(error, TelegramNetworkError):
        # A refused connection never reached Telegram; a timeout or a dropped one may have.
        reached = not isinstance(error.__cause__, ClientConnectorError)
        return Transient(error.message, maybe_delivered=reached)
    if isinstance(error, ClientDecodeError):
        return Transient(error.message, maybe_delivered=True)
    if isinstance(error, TelegramServerError | TelegramUnauthorizedError):
        # A token being rotated is the setup's fault, not the message's: retry it.
        return Transient(error.message)
    return Permanent(error.message)


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a reply, for the outbox's sends and the engine's own."""
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=b.label, callback_data=b.data, url=b.url) for b in row]
        for row in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
