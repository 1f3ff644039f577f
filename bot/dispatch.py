"""The dispatch: one transaction per update, idempotent, routed, errors answered in language."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.context import Context
from bot.delivery import api as delivery
from bot.delivery.policy import REPLY
from bot.errors import DomainError, NotAllowed, StaleButton, Toast
from bot.i18n import N_, Catalogs, Translator
from bot.protocol import Button, Incoming, MenuCommand, Outcome, Reply
from bot.routing import (
    BUTTON_SEPARATOR,
    DEEP_LINK_SEPARATOR,
    Replies,
    Routes,
    may_use,
    parse_args,
    parse_button,
)
from bot.services import notify
from bot.settings import Settings
from bot.throttle import Admission, FloodGuard
from storage import inbox, people, updates
from storage.models import Person

log = logging.getLogger(__name__)

UNAVAILABLE = N_("The service is briefly unavailable. Please try again in a minute.")
FAILED = N_(
    "Something went wrong on our side. Please try again; if it persists, tell the secretariat."
)
UNKNOWN_COMMAND = N_("I don't know the command /{command}. Send /help to see what you can do.")
NOT_ALLOWED = N_("The command /{command} is not available to you.")
INVALID_LINK = N_("This link is not valid. Send /start to begin.")
TOO_LONG = N_("That message is too long ({length} characters). Please keep it under {limit}.")
NOT_EXPECTED_TEXT = N_("I wasn't expecting a message. Send /help to see what you can do.")
NOT_EXPECTED_FILE = N_("I wasn't expecting a file. Send /help to see what you can do.")
PRIVATE_ONLY = N_("Please use me in a private chat.")
OPEN_PRIVATE_CHAT = N_("Open a private chat")
SLOW_DOWN = N_(
    "You are sending messages faster than I can read them. I will ignore the next ones for a "
    "few seconds; please wait a moment, then send again."
)
SET_ASIDE = N_(
    "An update from chat {chat} could not be handled ({summary}: {error}). It was answered "
    "with an apology and kept as dead letter {key}; later updates of that chat go on as usual."
)


class _Refused(Exception):
    """A `DomainError` on its way out of the update's transaction, which it rolls back."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


class Dispatcher:
    """Turns an `Incoming` into an `Outcome`; engines call `handle` and carry out the result."""

    def __init__(
        self,
        routes: Routes,
        sessions: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        settings: Settings,
        clock: Clock,
        writers: AbstractAsyncContextManager[Any] | None = None,
    ) -> None:
        self.routes = routes
        self.sessions = sessions
        self.catalogs = catalogs
        self.settings = settings
        self.clock = clock
        self.flood = FloodGuard(settings.flood_rate, settings.flood_burst)
        self.writers = writers or contextlib.nullcontext()  # storage.db.writer_queue

    async def handle(self, incoming: Incoming) -> Outcome:
        if incoming.sender.in_group and not self._addressed(incoming):
            return Outcome()  # a group's own talk is not addressed to the bot: no answer
        admission = self.flood.admit(incoming.sender.user_id, self.clock.now().timestamp())
        if admission is Admission.DROP:
            return Outcome(duplicate=True)  # silence: the sender was told once
        if admission is Admission.WARN:  # told in private; a group gets no second kind of line
            if incoming.sender.in_group:
                return Outcome(duplicate=True)
            return self._fallback(incoming, SLOW_DOWN)
        try:
            try:
                async with self.writers, self.sessions() as session, session.begin():
                    return await self._handle(session, incoming)
            except _Refused as refused:
                # Everything the update did is rolled back; claimed again, so that a
                # redelivery is not answered twice.
                async with self.writers, self.sessions() as session, session.begin():
                    return await self._refusal(session, incoming, refused.error)
        except (OperationalError, DBAPIError, OSError) as error:
            log.warning(
                "database unavailable for %s: %s", incoming.update_key, type(error).__name__
            )
            return self._fallback(incoming, UNAVAILABLE)
        except Exception as error:
            log.exception("update %s failed", incoming.update_key)
            await self.set_aside(
                incoming.update_key,
                incoming.sender.chat_id,
                summary(incoming),
                error,
                sender=incoming.sender.user_id,
            )
            return self._fallback(incoming, FAILED)

    async def set_aside(
        self, key: str, chat_id: int, what: str, error: BaseException, sender: int | None = None
    ) -> None:
        """Keeps a failed update as a dead letter, never to be retried (it would fail again
        and, on a webhook, hold back the chat's later updates), and tells the secretariat:
        of one sender at most once an hour, the rest in the daily digest."""
        reason = f"{type(error).__name__}: {error}"[:2000]
        try:
            async with self.writers, self.sessions() as session, session.begin():
                now = self.clock.now()
                if not await inbox.set_aside(session, key, chat_id, what, reason, now):
                    return
                who = chat_id if sender is None else sender
                if not await notify.may_notify(session, "dead_letter", who, now):
                    return  # kept, and counted for the digest
                note = notify.note(
                    SET_ASIDE, chat=chat_id, summary=what, error=type(error).__name__, key=key
                )
                staff = await notify.secretariat(session)
                for reply in notify.to_people(self.catalogs, staff, note):
                    await delivery.notify(session, reply, purpose="dead_letter", now=now)
        except Exception:
            log.exception("dead letter %s could not be kept", key)

    async def _handle(self, session: AsyncSession, incoming: Incoming) -> Outcome:
        now = self.clock.now()
        if not await updates.claim(session, incoming.update_key, now):
            return Outcome(duplicate=True)
        arrival = await _arrive(session, incoming, now)
        ctx = Context(
            incoming=incoming,
            session=session,
            person=arrival.person,
            roles=arrival.roles,
            t=self._translator(arrival.person),
            clock=self.clock,
            settings=self.settings,
            catalogs=self.catalogs,
            routes=self.routes,
            conversation=arrival.conversation,
        )
        try:
            replies = _as_list(await self._route(ctx))
        except DomainError as error:
            raise _Refused(error) from error
        outcome = Outcome()
        outcome.replies, outcome.queued = _split(replies, incoming.sender.chat_id)
        for reply in outcome.queued:  # in this transaction: sent only if it commits
            purpose = REPLY if reply.chat_id == incoming.sender.chat_id else "message"
            await delivery.notify(session, reply, purpose=purpose, now=now)
        if ctx.menus_to_refresh:
            outcome.menus = await self._menus(session, ctx.menus_to_refresh)
        return outcome

    async def _refusal(
        self, session: AsyncSession, incoming: Incoming, error: DomainError
    ) -> Outcome:
        """The refusal's answer, in the sender's language: on the button for a press."""
        now = self.clock.now()
        if not await updates.claim(session, incoming.update_key, now):
            return Outcome(duplicate=True)
        person = (await _arrive(session, incoming, now)).person
        text = error.text(self._translator(person))
        if incoming.button is not None and isinstance(error, Toast):
            return Outcome(toast=text)
        if incoming.button is not None:
            return Outcome(alert=text)
        return Outcome(replies=[Reply(text)])

    async def _route(self, ctx: Context) -> Replies:
        incoming = ctx.incoming
        if incoming.sender.in_group:
            return await self._from_group(ctx)
        if incoming.command is not None:
            return await self._command(ctx, incoming.command)
        if incoming.button is not None:
            return await self._button(ctx, incoming.button)
        if incoming.text is not None and len(incoming.text) > self.settings.max_text_length:
            raise DomainError(
                TOO_LONG, length=len(incoming.text), limit=self.settings.max_text_length
            )
        if ctx.conversation is not None:
            return await self._form_step(ctx)
        return Reply(ctx.t(NOT_EXPECTED_FILE if incoming.file else NOT_EXPECTED_TEXT))

    async def _from_group(self, ctx: Context) -> Replies:
        """In a group chat only what is meant for the group runs (DESIGN "Trust rules"): a
        command gets one public pointer to the private chat, a button a private alert."""
        incoming = ctx.incoming
        if incoming.button is not None:
            action = self.routes.buttons.get(parse_button(incoming.button)[0])
            if action is None or not action.in_group:
                raise DomainError(PRIVATE_ONLY)  # an alert, seen by the presser alone
            return await self._button(ctx, incoming.button)
        command = self.routes.commands.get(incoming.command or "")
        if command is None or not command.in_group:
            return self._pointer(ctx)
        return await self._command(ctx, command.name)

    def _addressed(self, incoming: Incoming) -> bool:
        """Whether a group's update is for the bot: a press on its message, or a command
        that names no bot or names this one (`/help@other_bot` is for another bot)."""
        if incoming.button is not None:
            return True
        if incoming.command is None:
            return False
        username, to = self.settings.bot_username, incoming.addressee
        return to is None or username is None or to.lower() == username.lower()

    def _pointer(self, ctx: Context) -> Reply:
        """The one line a group gets for a command that is not for it, with a link to the
        bot's private chat when the bot's username is known."""
        username = self.settings.bot_username
        if not username:
            return Reply(ctx.t(PRIVATE_ONLY))
        link = Button(ctx.t(OPEN_PRIVATE_CHAT), url=f"https://t.me/{username}")
        return Reply(ctx.t(PRIVATE_ONLY), buttons=((link,),))

    async def _command(self, ctx: Context, name: str) -> Replies:
        if name == "start" and ctx.incoming.args:
            return await self._deep_link(ctx, ctx.incoming.args)
        command = self.routes.commands.get(name)
        if command is None:
            raise DomainError(UNKNOWN_COMMAND, command=name)
        if not may_use(ctx.roles, command.roles):
            raise NotAllowed(NOT_ALLOWED, command=name)
        return await command.handler(ctx)

    async def _button(self, ctx: Context, data: str) -> Replies:
        code, args = parse_button(data)
        action = self.routes.buttons.get(code)
        if action is None:
            raise StaleButton()
        if not may_use(ctx.roles, action.roles):
            raise StaleButton()
        try:  # forged data is a stale button, never a crash (DESIGN "Trust rules")
            values = parse_args(action.args, args, BUTTON_SEPARATOR)
        except ValueError:
            raise StaleButton() from None
        return await action.handler(ctx, *values)

    async def _deep_link(self, ctx: Context, payload: str) -> Replies:
        prefix, _, rest = payload.partition(DEEP_LINK_SEPARATOR)
        link = self.routes.deep_links.get(prefix)
        if link is None:
            raise DomainError(INVALID_LINK)
        parts = rest.split(DEEP_LINK_SEPARATOR) if rest else []
        try:
            values = parse_args(link.args, parts, DEEP_LINK_SEPARATOR)
        except ValueError:
            raise DomainError(INVALID_LINK) from None
        return await link.handler(ctx, *values)

    async def _form_step(self, ctx: Context) -> Replies:
        assert ctx.conversation is not None
        form = self.routes.forms.get(ctx.conversation.form)
        step = form.steps.get(ctx.conversation.step) if form else None
        if form is None or step is None or not may_use(ctx.roles, form.roles):
            # A form from an older version of the bot, or one the person may no longer fill in.
            await ctx.end_form()
            return Reply(ctx.t(NOT_EXPECTED_TEXT))
        return await step(ctx)

    async def _menus(
        self, session: AsyncSession, person_ids: set[int]
    ) -> dict[int, list[MenuCommand]]:
        menus = {}
        for person_id in sorted(person_ids):
            person = await session.get(Person, person_id)
            if person is not None:
                roles = await people.roles_of(session, person_id)
                menus[person.chat_id] = self.menu(roles, self._translator(person))
        return menus

    def menu(self, roles: frozenset, t: Translator) -> list[MenuCommand]:
        return [MenuCommand(c.name, t(c.description)) for c in self.routes.menu_for(roles)]

    def _translator(self, person: Person) -> Translator:
        return self.catalogs.for_person(person.locale, person.language_code)

    def _fallback(self, incoming: Incoming, message: str) -> Outcome:
        text = self.catalogs.for_person(None, incoming.sender.language_code)(message)
        if incoming.button is not None:
            return Outcome(alert=text)
        return Outcome(replies=[Reply(text)])


async def _arrive(session: AsyncSession, incoming: Incoming, now: datetime) -> people.Arrival:
    sender = incoming.sender
    # A private chat's id is the user's id; a group's chat id must not become theirs.
    return await people.arrive(
        session, sender.user_id, sender.user_id, now, sender.display_name, sender.language_code
    )


def summary(incoming: Incoming) -> str:
    """What kind of update it was, for the dead-letter table: never the person's text."""
    if incoming.command is not None:
        return f"command /{incoming.command}"
    if incoming.button is not None:
        return f"button {parse_button(incoming.button)[0]}"
    return "file" if incoming.file is not None else "text"


def _split(replies: list[Reply], chat_id: int) -> tuple[list[Reply], list[Reply]]:
    """Replies the engine sends at once, and messages for the outbox: those to other chats,
    and the replies that must not be lost (`Reply.durable`) — with the sender's later ones,
    so that the chat reads them in order; an edit in place stays with the engine."""
    direct: list[Reply] = []
    queued: list[Reply] = []
    durable = False
    for reply in replies:
        own = reply.chat_id in (None, chat_id)
        durable = durable or (own and reply.durable)
        if own and (reply.edit or not durable):
            direct.append(reply)
        else:
            queued.append(reply if reply.chat_id is not None else replace(reply, chat_id=chat_id))
    return direct, queued


def _as_list(replies: Replies) -> list[Reply]:
    if replies is None:
        return []
    if isinstance(replies, Reply):
        return [replies]
    return list(replies)


__all__: Sequence[str] = ("Dispatcher",)
