"""What the two Telegram engines share: updates read into the protocol, outcomes carried out.

aiogram and python-telegram-bot name the fields of Telegram's objects alike (`message.text`,
`message.document.file_id`, `query.from_user`), so reading an update is written once here;
each engine supplies only the calls that differ (send, edit, set commands, download).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import App, ChatMenu
from bot.delivery.content import CAPTION_LIMIT, parts
from bot.delivery.policy import backoff_delay
from bot.delivery.ratelimit import pace_reply
from bot.delivery.transport import DeliveryError, RetryAfter, Transient, Transport
from bot.dispatch import summary
from bot.engines.receiving import Payload, Receiver, update_key
from bot.i18n import SUPPORTED
from bot.protocol import (
    Buttons,
    Incoming,
    IncomingFile,
    MenuCommand,
    Outcome,
    OutgoingFile,
    Reply,
    Sender,
    command_addressee,
    parse_command,
)
from storage.models import Role

log = logging.getLogger(__name__)


class ClosingTransport(Transport, Protocol):
    async def close(self) -> None: ...


COMMAND_DESCRIPTION_LIMIT = 256
ALLOWED_UPDATES = ["message", "callback_query"]
REQUEST_MARGIN = 10  # seconds a long poll's HTTP request may take beyond its timeout
REPLY_ATTEMPTS = 3  # a direct reply refused by a 5xx or lost to the network, then given up
REPLY_FLOODS = 10  # 429s a direct reply waits out before it is given up

Download = Callable[[str], Awaitable[bytes]]


def sender(user: Any, chat_id: int) -> Sender:
    """Who wrote, from an aiogram or PTB `User` (None for anonymous senders)."""
    if user is None:
        return Sender(chat_id, chat_id)
    name = " ".join(filter(None, [user.first_name, user.last_name]))
    return Sender(user.id, chat_id, user.language_code, name)


def incoming_message(message: Any, update_id: int, download: Download) -> Incoming:
    """A command, a file (with its caption as text) or a text, from an aiogram or PTB message."""
    key, who = update_key(update_id), sender(message.from_user, message.chat.id)
    text = message.text or ""
    if command := parse_command(text):
        to = command_addressee(text)
        return Incoming(key, who, command=command[0], args=command[1], addressee=to)
    if file := incoming_file(message, download):
        return Incoming(key, who, file=file, text=message.caption, html=_html(message, True))
    return Incoming(key, who, text=text, html=_html(message, False))


def _html(message: Any, caption: bool) -> str | None:
    """The text or caption with its formatting as Telegram HTML: aiogram names it
    `html_text`, python-telegram-bot `text_html` / `caption_html`."""
    if (message.caption if caption else message.text) is None:
        return None
    if hasattr(message, "html_text"):
        return str(message.html_text)
    return str(message.caption_html if caption else message.text_html)


def incoming_file(message: Any, download: Download) -> IncomingFile | None:
    """The document or the largest photo size of a message; bytes are fetched on demand."""
    if document := message.document:
        name, mime = document.file_name or "file", document.mime_type
        file_id, size = document.file_id, document.file_size
    elif message.photo:
        photo = message.photo[-1]
        name, mime, file_id, size = "photo.jpg", "image/jpeg", photo.file_id, photo.file_size
    else:
        return None

    async def fetch() -> bytes:
        return await download(file_id)

    return IncomingFile(file_id, name, mime, size, fetch)


def incoming_press(query: Any, update_id: int) -> Incoming | None:
    """A button press; None when the query has no data or its message is gone."""
    if query.message is None or query.data is None:
        return None
    chat_id = query.message.chat.id
    return Incoming(
        update_key(update_id),
        sender(query.from_user, chat_id),
        button=query.data,
        message_id=query.message.message_id,
    )


class TelegramEngine(ABC):
    """Run-time shape of a Telegram engine: receiving (bot/engines/receiving.py), stop on
    request or signal, updates to the dispatch, outcomes carried out, menus."""

    api_error: type[Exception]  # the library's base error: a failed send is logged, not raised
    edit_refused: type[Exception]  # the library's Bad Request: an edit that cannot be made

    def __init__(self, app: App, host: str = "0.0.0.0") -> None:
        assert app.settings.bot_token is not None, "a Telegram engine needs BOT_TOKEN"
        self.app = app
        self.host = host  # where the webhook server listens, on settings.port
        self.token = app.settings.bot_token.get_secret_value()
        self.ready = asyncio.Event()  # set once updates are being received
        self.pause = asyncio.sleep  # waits for a reply's slot in the shared rate limiter
        self._stop = asyncio.Event()
        settings = app.settings
        self.receiver = Receiver(
            app.sessions,
            app.clock,
            self.process,
            settings.inbox_replay_seconds,
            settings.receive_retry_seconds,
            app.dispatcher.writers,
            app.dispatcher.flood,
            app.dispatcher.set_aside,
            app.catalogs,
        )

    async def run(self, handle_signals: bool = True) -> None:
        """Sets the menus, then polls or serves the webhook until `stop()` or a signal."""
        with self.signals(handle_signals):
            await self.open()
            self.app.learn_bot_username(await self.username())
            await self.set_menus()
            async with self.delivering():
                await self.receiver.replay()
                if self.app.settings.webhook_url:
                    await self._serve_webhook()
                else:
                    await self.drop_webhook()
                    await self.receiver.poll(self.fetch_updates, self._stop, self.ready)

    async def _serve_webhook(self) -> None:
        settings = self.app.settings
        # Settings make one when WEBHOOK_SECRET is unset: a webhook never runs without it.
        assert settings.webhook_secret is not None, "webhook mode without a secret token"
        secret = settings.webhook_secret.get_secret_value()
        runner = web.AppRunner(self.receiver.webhook_app(secret))
        await runner.setup()
        await web.TCPSite(runner, self.host, settings.port).start()
        await self.set_webhook(settings.webhook_url or "", secret)
        if settings.webhook_secret_generated:
            log.info("WEBHOOK_SECRET unset: a secret token made for this run was registered")
        log.info("webhook serving on port %s", settings.port)
        self.ready.set()
        await self._stop.wait()
        await runner.cleanup()  # finishes the requests in flight before returning
        await self.receiver.lanes.drain()

    async def open(self) -> None:  # noqa: B027 - most libraries need nothing here
        """Prepares the library before the first call."""

    @abstractmethod
    async def close(self) -> None:
        """Releases the HTTP session; call after `run()` returns."""

    def stop(self) -> None:
        """Makes `run()` finish the updates in hand and return (SIGTERM and SIGINT do this)."""
        self._stop.set()

    @contextlib.asynccontextmanager
    async def delivering(self) -> AsyncIterator[None]:
        """The outbox worker and the reminders run while the engine does; stopping drains
        the sends under way, so a SIGTERM sends nothing twice."""
        transport = await self.open_transport()
        await self.app.delivery.start(transport)
        try:
            yield
        finally:
            await self.app.delivery.stop()
            await transport.close()

    @abstractmethod
    async def open_transport(self) -> ClosingTransport:
        """The outbox's own connection to the Bot API."""

    @contextlib.contextmanager
    def signals(self, enabled: bool) -> Iterator[None]:
        """While running, SIGTERM (a platform stopping the process) and SIGINT call `stop()`."""
        loop = asyncio.get_running_loop()
        signums = (signal.SIGTERM, signal.SIGINT) if enabled else ()
        for signum in signums:
            loop.add_signal_handler(signum, self.stop)
        try:
            yield
        finally:
            for signum in signums:
                loop.remove_signal_handler(signum)

    # -- updates in --------------------------------------------------------------------------

    async def on_message(self, message: Any, update_id: int) -> None:
        """A message (aiogram's or PTB's) through the dispatch, and the outcome carried out."""
        incoming = incoming_message(message, update_id, self.download)
        await self._handled(incoming, message.chat.id, None, None)

    async def on_press(self, query: Any, update_id: int) -> None:
        """A button press: the query is answered (with the refusal, if any), then the rest."""
        incoming = incoming_press(query, update_id)
        if incoming is None:
            await query.answer()
            return
        await self._handled(incoming, incoming.sender.chat_id, incoming.message_id, query)

    async def _handled(
        self, incoming: Incoming, chat_id: int, message_id: int | None, query: Any
    ) -> None:
        outcome = await self.app.dispatcher.handle(incoming)
        try:
            if query is not None:
                await query.answer(outcome.alert or outcome.toast, show_alert=bool(outcome.alert))
            await self.carry_out(outcome, chat_id, message_id)
        except Exception as error:  # an answer that cannot be sent must not stop the chat
            log.exception("outcome of %s not carried out", incoming.update_key)
            if not isinstance(error, self.api_error):
                await self.app.dispatcher.set_aside(
                    incoming.update_key, chat_id, summary(incoming), error
                )

    # -- outcomes out ------------------------------------------------------------------------

    async def carry_out(self, outcome: Outcome, chat_id: int, message_id: int | None) -> None:
        """Sends the replies (editing in place where asked), then sets the menus that changed."""
        for reply in outcome.replies:
            target = reply.chat_id or chat_id
            if reply.edit and message_id is not None and target == chat_id:
                await self._reply(reply, target, message_id)
                continue
            for part in parts(reply):  # a text too long for a caption goes first, on its own
                await self._reply(part, target, None)
        if outcome.menus:
            await self._set_chat_menus([ChatMenu(c, menu) for c, menu in outcome.menus.items()])
        if outcome.queued:
            self.app.delivery.wake()

    async def _reply(self, reply: Reply, chat_id: int, edit_id: int | None) -> None:
        """Sends (or edits) one message in its slot of the shared limiter. A 429 is waited out
        — its hold is the outbox's too, so the pace stays within Telegram's limits — and a
        5xx or a network error is tried again after a back-off, a few times; then the
        failure is logged and the chat goes on."""
        delivery, floods, failures = self.app.delivery, 0, 0
        while True:
            await pace_reply(delivery.limiter, self.app.clock, chat_id, self.pause)
            try:
                if edit_id is None:
                    await self._send(reply, chat_id)
                else:
                    await self._edit_or_send(reply, chat_id, edit_id)
            except self.api_error as error:
                failure = self.failure(error, chat_id)
                delivery.observe(chat_id, failure)
                floods += isinstance(failure, RetryAfter)
                failures += isinstance(failure, Transient)
                if floods > REPLY_FLOODS or failures >= REPLY_ATTEMPTS or not _retried(failure):
                    log.warning("send to chat %s failed: %s", chat_id, type(error).__name__)
                    return
                if isinstance(failure, Transient):
                    await self.pause(backoff_delay(failures, delivery.retry_limits))
                continue
            delivery.observe(chat_id, None)
            return

    async def _send(self, reply: Reply, chat_id: int) -> None:
        """Sends one message: a text, or a file with the text as its caption (`parts`)."""
        html = reply.html
        if reply.file is None:
            await self.send_text(chat_id, reply.text, reply.buttons, reply.protect, html=html)
            return
        caption = reply.text[:CAPTION_LIMIT] or None
        await self.send_document(
            chat_id, reply.file, caption, reply.buttons, reply.protect, html=html
        )

    async def _edit_or_send(self, reply: Reply, chat_id: int, message_id: int) -> None:
        try:
            await self.edit_text(chat_id, message_id, reply.text, reply.buttons)
        except self.edit_refused as error:
            # The message holds a file, is too old, or reads so already: send it anew.
            log.info("edit in chat %s refused (%s); sending instead", chat_id, error)
            await self._send(reply, chat_id)

    # -- menus -------------------------------------------------------------------------------

    async def set_menus(self) -> None:
        """The guest menu for everyone, per language, and each chat menu that changed since
        it was last set (a role-holder's own, or the guest's again for a former one)."""
        for language, menu in self.default_menus():
            await self.set_commands(menu, None, language)
        await self._set_chat_menus(await self.app.menus_due())

    def default_menus(self) -> list[tuple[str | None, list[MenuCommand]]]:
        """The guest menu per supported language; the default locale's has no language code."""
        menus = []
        for locale in SUPPORTED:
            menu = self.app.dispatcher.menu(
                frozenset({Role.GUEST}), self.app.catalogs.translator(locale)
            )
            language = None if locale == self.app.settings.default_locale else locale[:2]
            menus.append((language, menu))
        return menus

    async def _set_chat_menus(self, menus: list[ChatMenu]) -> None:
        """Sets each chat's menu, and remembers those Telegram took: what is remembered is
        what the chat shows, so a refused one is tried again at the next start."""
        taken: dict[int, str] = {}
        for menu in menus:
            try:
                await self.set_commands(menu.commands, menu.chat_id, None)
                taken[menu.chat_id] = menu.digest
            except self.api_error as error:
                log.warning("menu for chat %s not set: %s", menu.chat_id, type(error).__name__)
        if not taken:
            return
        try:
            await self.app.menus_set(taken)
        except (OperationalError, DBAPIError, OSError) as error:  # set, if not remembered
            log.warning("menus set but not remembered: %s", type(error).__name__)

    # -- what each library does its own way --------------------------------------------------

    @abstractmethod
    async def fetch_updates(self, offset: int | None) -> list[Payload]:
        """getUpdates (long polling) from `offset`, as Telegram's JSON."""

    @abstractmethod
    async def process(self, payload: Payload) -> None:
        """Feeds one update (Telegram's JSON) through the library to `on_message`/`on_press`."""

    @abstractmethod
    def failure(self, error: Exception, chat_id: int) -> DeliveryError:
        """The library's error on a send, as the outbox's typed errors (429, 5xx, ...)."""

    @abstractmethod
    async def username(self) -> str:
        """The bot's username, from getMe."""

    @abstractmethod
    async def drop_webhook(self) -> None:
        """Removes any webhook, keeping pending updates, so getUpdates may be used."""

    @abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None:
        """Registers the webhook with its secret token for the kinds of update we handle."""

    @abstractmethod
    async def download(self, file_id: str) -> bytes:
        """A file's bytes, by its file id."""

    @abstractmethod
    async def send_text(
        self, chat_id: int, text: str, buttons: Buttons, protect: bool, html: bool = False
    ) -> None:
        """Sends a text message with inline buttons (`html`: the text is Telegram HTML)."""

    @abstractmethod
    async def send_document(
        self,
        chat_id: int,
        file: OutgoingFile,
        caption: str | None,
        buttons: Buttons,
        protect: bool,
        html: bool = False,
    ) -> None:
        """Uploads a file (or re-sends one by file id) with an optional caption."""

    @abstractmethod
    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Buttons) -> None:
        """Replaces a message's text and buttons; raises `edit_refused` when Telegram won't."""

    @abstractmethod
    async def set_commands(
        self, menu: list[MenuCommand], chat_id: int | None, language: str | None
    ) -> None:
        """Sets a command menu for one chat, or the default menu for a language."""


def _retried(failure: DeliveryError) -> bool:
    """A 429 is waited out and a 5xx or network error tried again; a refusal is final."""
    return isinstance(failure, RetryAfter | Transient)


def description(command: MenuCommand) -> str:
    return command.description[:COMMAND_DESCRIPTION_LIMIT]
