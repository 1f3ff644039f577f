"""The aiogram 3 engine (the default Telegram engine): long polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

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
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.app import App
from bot.engines.aiogram_transport import AiogramTransport
from bot.engines.common import (
    ALLOWED_UPDATES,
    WEBHOOK_PATH,
    Buttons,
    TelegramEngine,
    description,
    incoming_message,
    incoming_press,
)
from bot.protocol import MenuCommand, OutgoingFile

log = logging.getLogger(__name__)


class AiogramEngine(TelegramEngine):
    """Feeds Telegram updates to the dispatcher and carries out each outcome with aiogram."""

    api_error = TelegramAPIError
    edit_refused = TelegramBadRequest

    def __init__(self, app: App, host: str = "0.0.0.0") -> None:
        super().__init__(app, host)
        session = AiohttpSession(api=TelegramAPIServer.from_base(app.settings.telegram_api_url))
        self.bot = Bot(self.token, session=session, default=DefaultBotProperties(parse_mode=None))
        self.dp = Dispatcher()
        self.dp.message.register(self._on_message)
        self.dp.callback_query.register(self._on_callback)
        self.dp.startup.register(self._on_polling_started)
        self._handling: set[asyncio.Task] = set()  # updates in hand, finished before run returns

    async def run(self, handle_signals: bool = True) -> None:
        """Polls, or serves the webhook when WEBHOOK_URL is set, until `stop()` or a signal."""
        with self.signals(handle_signals):
            await self.set_menus()
            async with self.delivering():
                await self._receive()

    async def _receive(self) -> None:
        if self.app.settings.webhook_url:
            await self._serve_webhook()
        else:
            await self._poll()

    async def open_transport(self) -> AiogramTransport:
        return AiogramTransport.connect(self.token, self.app.settings.telegram_api_url)

    async def close(self) -> None:
        await self.bot.session.close()

    # -- polling -----------------------------------------------------------------------------

    async def _poll(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(
            self.dp.start_polling(
                self.bot,
                polling_timeout=self.app.settings.polling_timeout,
                allowed_updates=ALLOWED_UPDATES,
                handle_signals=False,  # ours stop the webhook too; see TelegramEngine.signals
                close_bot_session=False,  # close() does, after the updates in hand are done
            )
        )
        stopping = asyncio.create_task(self._stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not polling.done():
            await self.ready.wait()  # stop_polling() refuses before polling has started
            await self.dp.stop_polling()
        await polling
        if self._handling:
            await asyncio.wait(self._handling)

    async def _on_polling_started(self) -> None:
        self.ready.set()

    # -- webhook ---------------------------------------------------------------------------

    def webhook_app(self) -> web.Application:
        """The aiohttp app that receives updates; a wrong secret token is refused (401)."""
        secret = self.app.settings.webhook_secret
        handler = SimpleRequestHandler(
            self.dp,
            self.bot,
            handle_in_background=False,
            secret_token=secret.get_secret_value() if secret else None,
        )
        application = web.Application()
        handler.register(application, path=WEBHOOK_PATH)
        return application

    async def _serve_webhook(self) -> None:
        settings = self.app.settings
        runner = web.AppRunner(self.webhook_app())
        await runner.setup()
        await web.TCPSite(runner, self.host, settings.port).start()
        secret = settings.webhook_secret
        await self.bot.set_webhook(
            settings.webhook_url or "",
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=ALLOWED_UPDATES,
        )
        log.info("webhook serving on port %s", settings.port)
        self.ready.set()
        await self._stop.wait()
        await runner.cleanup()  # finishes the requests in flight before returning

    # -- updates in --------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        with self._in_hand():
            incoming = incoming_message(message, event_update.update_id, self._download)
            outcome = await self.app.dispatcher.handle(incoming)
            await self.carry_out(outcome, message.chat.id, None)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        with self._in_hand():
            incoming = incoming_press(query, event_update.update_id)
            if incoming is None:
                await query.answer()
                return
            outcome = await self.app.dispatcher.handle(incoming)
            await query.answer(outcome.alert, show_alert=bool(outcome.alert))
            await self.carry_out(outcome, incoming.sender.chat_id, incoming.message_id)

    @contextlib.contextmanager
    def _in_hand(self) -> Iterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._handling.add(task)
        try:
            yield
        finally:
            self._handling.discard(task)

    async def _download(self, file_id: str) -> bytes:
        buffer = await self.bot.download(file_id)
        assert buffer is not None
        return buffer.read()

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
        document = file.file_id or BufferedInputFile(file.content or b"", file.name)
        await self.bot.send_document(
            chat_id,
            document,
            caption=caption,
            reply_markup=_markup(buttons),
            protect_content=protect,
        )

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Buttons) -> None:
        await self.bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(buttons)
        )

    async def set_commands(
        self, menu: list[MenuCommand], chat_id: int | None, language: str | None
    ) -> None:
        scope = BotCommandScopeChat(chat_id=chat_id) if chat_id else BotCommandScopeDefault()
        commands = [BotCommand(command=c.command, description=description(c)) for c in menu]
        await self.bot.set_my_commands(commands, scope=scope, language_code=language)


def _markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=b.label, callback_data=b.data, url=b.url) for b in row]
        for row in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
