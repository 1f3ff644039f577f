"""The aiogram 3 engine (the default Telegram engine): long polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import signal

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
from bot.i18n import SUPPORTED
from bot.protocol import (
    Incoming,
    IncomingFile,
    MenuCommand,
    Outcome,
    Reply,
    Sender,
    parse_command,
)
from storage.models import Role

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
WEBHOOK_PATH = "/webhook"


class AiogramEngine:
    """Feeds Telegram updates to the dispatcher and carries out each outcome with aiogram."""

    def __init__(self, app: App) -> None:
        settings = app.settings
        assert settings.bot_token is not None, "the aiogram engine needs BOT_TOKEN"
        self.app = app
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        self.bot = Bot(
            settings.bot_token.get_secret_value(),
            session=session,
            default=DefaultBotProperties(parse_mode=None),
        )
        self.dp = Dispatcher()
        self.dp.message.register(self._on_message)
        self.dp.callback_query.register(self._on_callback)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Polls, or serves the webhook when WEBHOOK_URL is set, until SIGTERM or SIGINT."""
        await self.set_menus()
        if self.app.settings.webhook_url:
            await self._serve_webhook()
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            await self.dp.start_polling(
                self.bot,
                polling_timeout=self.app.settings.polling_timeout,
                allowed_updates=["message", "callback_query"],
                handle_signals=True,
            )

    def stop(self) -> None:
        self._stop.set()

    async def stop_polling(self) -> None:
        await self.dp.stop_polling()

    async def close(self) -> None:
        await self.bot.session.close()

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
        await web.TCPSite(runner, "0.0.0.0", settings.port).start()
        secret = settings.webhook_secret
        await self.bot.set_webhook(
            settings.webhook_url or "",
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=["message", "callback_query"],
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        log.info("webhook serving on port %s", settings.port)
        await self._stop.wait()
        await runner.cleanup()  # finishes the requests in flight before returning

    # -- updates in --------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        incoming = self._incoming_message(message, event_update.update_id)
        await self.carry_out(await self.app.dispatcher.handle(incoming), message.chat.id, None)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        if query.message is None or query.data is None:
            await query.answer()
            return
        chat_id = query.message.chat.id
        incoming = Incoming(
            f"tg:{event_update.update_id}",
            _sender(query.from_user, chat_id),
            button=query.data,
            message_id=query.message.message_id,
        )
        outcome = await self.app.dispatcher.handle(incoming)
        await query.answer(outcome.alert, show_alert=bool(outcome.alert))
        await self.carry_out(outcome, chat_id, query.message.message_id)

    def _incoming_message(self, message: Message, update_id: int) -> Incoming:
        key, sender = f"tg:{update_id}", _sender(message.from_user, message.chat.id)
        text = message.text or ""
        if command := parse_command(text):
            return Incoming(key, sender, command=command[0], args=command[1])
        if file := self._file(message):
            return Incoming(key, sender, file=file, text=message.caption)
        return Incoming(key, sender, text=text)

    def _file(self, message: Message) -> IncomingFile | None:
        if message.document:
            document = message.document
            name, mime, size = document.file_name or "file", document.mime_type, document.file_size
            file_id = document.file_id
        elif message.photo:
            photo = message.photo[-1]
            name, mime, size, file_id = "photo.jpg", "image/jpeg", photo.file_size, photo.file_id
        else:
            return None

        async def fetch() -> bytes:
            buffer = await self.bot.download(file_id)
            assert buffer is not None
            return buffer.read()

        return IncomingFile(file_id, name, mime, size, fetch)

    # -- outcomes out ------------------------------------------------------------------------

    async def carry_out(self, outcome: Outcome, chat_id: int, message_id: int | None) -> None:
        """Sends the replies, then updates the menus the outcome changed."""
        for reply in outcome.replies:
            target = reply.chat_id or chat_id
            try:
                if reply.edit and message_id is not None and target == chat_id:
                    await self._edit(reply, target, message_id)
                else:
                    await self._send(reply, target)
            except TelegramAPIError as error:
                log.warning("send to chat %s failed: %s", target, type(error).__name__)
        for menu_chat, menu in outcome.menus.items():
            await self._set_chat_menu(menu_chat, menu)

    async def _send(self, reply: Reply, chat_id: int) -> None:
        markup = _markup(reply)
        if reply.file is None:
            await self.bot.send_message(
                chat_id, reply.text, reply_markup=markup, protect_content=reply.protect
            )
            return
        short = len(reply.text) <= CAPTION_LIMIT
        if not short:
            await self.bot.send_message(chat_id, reply.text, protect_content=reply.protect)
        document = reply.file.file_id or BufferedInputFile(
            reply.file.content or b"", reply.file.name
        )
        await self.bot.send_document(
            chat_id,
            document,
            caption=reply.text if short else None,
            reply_markup=markup,
            protect_content=reply.protect,
        )

    async def _edit(self, reply: Reply, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.edit_message_text(
                text=reply.text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=_markup(reply),
            )
        except TelegramBadRequest as error:
            # The message was a file, is too old, or has this text already: send it anew.
            log.info("edit in chat %s refused (%s); sending instead", chat_id, error.message)
            await self._send(reply, chat_id)

    async def set_menus(self) -> None:
        """The guest menu for everyone, per language, and each role-holder's own menu."""
        dispatcher = self.app.dispatcher
        for locale in SUPPORTED:
            t = self.app.catalogs.translator(locale)
            menu = dispatcher.menu(frozenset({Role.GUEST}), t)
            language = None if locale == self.app.settings.default_locale else locale[:2]
            await self.bot.set_my_commands(
                _commands(menu), scope=BotCommandScopeDefault(), language_code=language
            )
        for chat_id, menu in (await self.app.role_menus()).items():
            await self._set_chat_menu(chat_id, menu)

    async def _set_chat_menu(self, chat_id: int, menu: list[MenuCommand]) -> None:
        try:
            await self.bot.set_my_commands(
                _commands(menu), scope=BotCommandScopeChat(chat_id=chat_id)
            )
        except TelegramAPIError as error:
            log.warning("menu for chat %s not set: %s", chat_id, type(error).__name__)


def _sender(user: object, chat_id: int) -> Sender:
    if user is None:
        return Sender(chat_id, chat_id)
    name = " ".join(filter(None, [user.first_name, user.last_name]))  # type: ignore[attr-defined]
    return Sender(user.id, chat_id, user.language_code, name)  # type: ignore[attr-defined]


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=b.label, callback_data=b.data, url=b.url) for b in row]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _commands(menu: list[MenuCommand]) -> list[BotCommand]:
    return [BotCommand(command=c.command, description=c.description[:256]) for c in menu]
