"""The python-telegram-bot 22 engine (BOT_ENGINE=ptb): long polling or webhook."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import App
from bot.engines.common import (
    ALLOWED_UPDATES,
    WEBHOOK_PATH,
    Buttons,
    TelegramEngine,
    description,
    incoming_message,
    incoming_press,
)
from bot.engines.ptb_transport import PtbTransport
from bot.protocol import MenuCommand, OutgoingFile

log = logging.getLogger(__name__)


class PtbEngine(TelegramEngine):
    """Feeds Telegram updates to the dispatcher and carries out each outcome with PTB."""

    api_error = TelegramError
    edit_refused = BadRequest

    def __init__(self, app: App, host: str = "0.0.0.0") -> None:
        super().__init__(app, host)
        url = app.settings.telegram_api_url.rstrip("/")
        self.application = (
            Application.builder()
            .token(self.token)
            .base_url(f"{url}/bot")
            .base_file_url(f"{url}/file/bot")
            .job_queue(None)  # reminders are ours, in the database (DESIGN.md, Reminders)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.bot = self.application.bot

    async def run(self, handle_signals: bool = True) -> None:
        """Polls, or serves the webhook when WEBHOOK_URL is set, until `stop()` or a signal."""
        with self.signals(handle_signals):
            await self.application.initialize()
            await self.set_menus()
            await self.application.start()
            async with self.delivering():
                try:
                    await self._receive()
                    self.ready.set()
                    await self._stop.wait()
                finally:
                    await self._finish()  # the updates in hand, before the outbox drains

    async def open_transport(self) -> PtbTransport:
        return await PtbTransport.connect(self.token, self.app.settings.telegram_api_url)

    async def close(self) -> None:
        await self.application.shutdown()

    async def _receive(self) -> None:
        settings, updater = self.app.settings, self.application.updater
        assert updater is not None
        if not settings.webhook_url:
            timeout = settings.polling_timeout
            await updater.start_polling(timeout=timeout, allowed_updates=ALLOWED_UPDATES)
            return
        secret = settings.webhook_secret
        await updater.start_webhook(
            listen=self.host,
            port=settings.port,
            url_path=WEBHOOK_PATH.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret.get_secret_value() if secret else None,  # else 403
            allowed_updates=ALLOWED_UPDATES,
        )
        log.info("webhook serving on port %s", settings.port)

    async def _finish(self) -> None:
        """Stops receiving, then handles the updates already received."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()

    # -- updates in --------------------------------------------------------------------------

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_callback(update.callback_query, update.update_id)
        elif update.message is not None:
            await self._on_message(update.message, update.update_id)

    async def _on_message(self, message: Message, update_id: int) -> None:
        incoming = incoming_message(message, update_id, self._download)
        outcome = await self.app.dispatcher.handle(incoming)
        await self.carry_out(outcome, message.chat.id, None)

    async def _on_callback(self, query: CallbackQuery, update_id: int) -> None:
        incoming = incoming_press(query, update_id)
        if incoming is None:
            await query.answer()
            return
        outcome = await self.app.dispatcher.handle(incoming)
        await query.answer(outcome.alert, show_alert=bool(outcome.alert))
        await self.carry_out(outcome, incoming.sender.chat_id, incoming.message_id)

    async def _download(self, file_id: str) -> bytes:
        file = await self.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    # -- outcomes out ------------------------------------------------------------------------

    async def send_text(self, chat_id: int, text: str, buttons: Buttons, protect: bool) -> None:
        markup = _markup(buttons)
        await self.bot.send_message(chat_id, text, reply_markup=markup, protect_content=protect)

    async def send_document(
        self,
        chat_id: int,
        file: OutgoingFile,
        caption: str | None,
        buttons: Buttons,
        protect: bool,
    ) -> None:
        document = file.file_id or InputFile(file.content or b"", filename=file.name)
        await self.bot.send_document(
            chat_id,
            document,
            caption=caption,
            reply_markup=_markup(buttons),
            protect_content=protect,
        )

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Buttons) -> None:
        await self.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(buttons)
        )

    async def set_commands(
        self, menu: list[MenuCommand], chat_id: int | None, language: str | None
    ) -> None:
        scope = BotCommandScopeChat(chat_id) if chat_id else BotCommandScopeDefault()
        commands = [BotCommand(c.command, description(c)) for c in menu]
        await self.bot.set_my_commands(commands, scope=scope, language_code=language)


def _markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
        for row in buttons
    ]
    return InlineKeyboardMarkup(rows)
