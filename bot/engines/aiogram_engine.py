"""The aiogram 3 engine (the default Telegram engine): long polling or webhook."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    Message,
    Update,
)

from bot.app import App
from bot.delivery.transport import DeliveryError
from bot.engines.aiogram_transport import AiogramTransport, delivery_error, keyboard
from bot.engines.common import (
    ALLOWED_UPDATES,
    REQUEST_MARGIN,
    Buttons,
    TelegramEngine,
    description,
)
from bot.engines.receiving import Payload
from bot.protocol import MenuCommand, OutgoingFile

log = logging.getLogger(__name__)


class AiogramEngine(TelegramEngine):
    """Feeds Telegram updates through aiogram's dispatcher and carries out each outcome."""

    api_error = TelegramAPIError
    edit_refused = TelegramBadRequest

    def __init__(self, app: App, host: str = "0.0.0.0") -> None:
        super().__init__(app, host)
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(app.settings.telegram_api_url),
            timeout=app.settings.telegram_timeout,
        )
        self.bot = Bot(self.token, session=session, default=DefaultBotProperties(parse_mode=None))
        self.dp = Dispatcher()
        self.dp.message.register(self._on_message)
        self.dp.callback_query.register(self._on_callback)

    async def open_transport(self) -> AiogramTransport:
        settings = self.app.settings
        return AiogramTransport.connect(
            self.token, settings.telegram_api_url, settings.telegram_timeout
        )

    async def close(self) -> None:
        await self.bot.session.close()

    # -- updates in --------------------------------------------------------------------------

    async def fetch_updates(self, offset: int | None) -> list[Payload]:
        timeout = self.app.settings.polling_timeout
        updates = await self.bot.get_updates(
            offset=offset,
            timeout=timeout,
            allowed_updates=ALLOWED_UPDATES,
            request_timeout=timeout + REQUEST_MARGIN,
        )
        return [u.model_dump(mode="json", exclude_none=True, by_alias=True) for u in updates]

    async def process(self, payload: Payload) -> None:
        update = Update.model_validate(payload, context={"bot": self.bot})
        await self.dp.feed_update(self.bot, update)

    def failure(self, error: Exception, chat_id: int) -> DeliveryError:
        assert isinstance(error, TelegramAPIError)
        return delivery_error(error, chat_id)

    async def username(self) -> str:
        me = await self.bot.get_me()
        assert me.username is not None, "getMe named no username: is the token a bot's?"
        return me.username

    async def drop_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self.on_message(message, event_update.update_id)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        await self.on_press(query, event_update.update_id)

    async def download(self, file_id: str) -> bytes:
        buffer = await self.bot.download(file_id)
        assert buffer is not None
        return buffer.read()

    # -- outcomes out ------------------------------------------------------------------------

    async def send_text(
        self, chat_id: int, text: str, buttons: Buttons, protect: bool, html: bool = False
    ) -> None:
        markup, mode = keyboard(buttons), "HTML" if html else None
        await self.bot.send_message(
            chat_id, text, reply_markup=markup, protect_content=protect, parse_mode=mode
        )

    async def send_document(
        self,
        chat_id: int,
        file: OutgoingFile,
        caption: str | None,
        buttons: Buttons,
        protect: bool,
        html: bool = False,
    ) -> None:
        document = file.file_id or BufferedInputFile(file.content or b"", file.name)
        await self.bot.send_document(
            chat_id,
            document,
            caption=caption,
            reply_markup=keyboard(buttons),
            protect_content=protect,
            parse_mode="HTML" if html else None,
        )

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Buttons) -> None:
        await self.bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard(buttons)
        )

    async def set_commands(
        self, menu: list[MenuCommand], chat_id: int | None, language: str | None
    ) -> None:
        scope = BotCommandScopeChat(chat_id=chat_id) if chat_id else BotCommandScopeDefault()
        commands = [BotCommand(command=c.command, description=description(c)) for c in menu]
        await self.bot.set_my_commands(commands, scope=scope, language_code=language)
