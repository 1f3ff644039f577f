"""The python-telegram-bot 22 engine (BOT_ENGINE=ptb): long polling or webhook."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InputFile,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import App
from bot.delivery.transport import DeliveryError
from bot.engines.common import (
    ALLOWED_UPDATES,
    REQUEST_MARGIN,
    Buttons,
    TelegramEngine,
    description,
)
from bot.engines.ptb_transport import (
    PtbTransport,
    delivery_error,
    keyboard,
    timedelta_durations,
)
from bot.engines.receiving import Payload
from bot.protocol import MenuCommand, OutgoingFile

log = logging.getLogger(__name__)


class PtbEngine(TelegramEngine):
    """Feeds Telegram updates to the dispatcher and carries out each outcome with PTB."""

    api_error = TelegramError
    edit_refused = BadRequest

    def __init__(self, app: App, host: str = "0.0.0.0") -> None:
        super().__init__(app, host)
        timedelta_durations()
        url = app.settings.telegram_api_url.rstrip("/")
        self.application = (
            Application.builder()
            .token(self.token)
            .base_url(f"{url}/bot")
            .base_file_url(f"{url}/file/bot")
            .read_timeout(app.settings.telegram_timeout)
            .write_timeout(app.settings.telegram_timeout)
            .job_queue(None)  # reminders are ours, in the database (DESIGN.md, Reminders)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.bot = self.application.bot

    async def open(self) -> None:
        await self.application.initialize()

    async def open_transport(self) -> PtbTransport:
        settings = self.app.settings
        return await PtbTransport.connect(
            self.token, settings.telegram_api_url, settings.telegram_timeout
        )

    async def close(self) -> None:
        await self.application.shutdown()

    # -- updates in --------------------------------------------------------------------------

    async def fetch_updates(self, offset: int | None) -> list[Payload]:
        timeout = self.app.settings.polling_timeout
        updates = await self.bot.get_updates(
            offset=offset,
            timeout=timeout,
            allowed_updates=ALLOWED_UPDATES,
            read_timeout=timeout + REQUEST_MARGIN,
        )
        return [u.to_dict() for u in updates]

    async def process(self, payload: Payload) -> None:
        update = Update.de_json(payload, self.bot)
        await self.application.process_update(update)

    def failure(self, error: Exception, chat_id: int) -> DeliveryError:
        assert isinstance(error, TelegramError)
        return delivery_error(error, chat_id)

    async def username(self) -> str:
        return self.bot.username  # from getMe, which `initialize()` called

    async def drop_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self.on_press(update.callback_query, update.update_id)
        elif update.message is not None:
            await self.on_message(update.message, update.update_id)

    async def download(self, file_id: str) -> bytes:
        file = await self.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

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
        document = file.file_id or InputFile(file.content or b"", filename=file.name)
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
            text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard(buttons)
        )

    async def set_commands(
        self, menu: list[MenuCommand], chat_id: int | None, language: str | None
    ) -> None:
        scope = BotCommandScopeChat(chat_id) if chat_id else BotCommandScopeDefault()
        commands = [BotCommand(c.command, description(c)) for c in menu]
        await self.bot.set_my_commands(commands, scope=scope, language_code=language)
