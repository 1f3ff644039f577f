"""The composition root: everything the bot needs, built at run time from settings."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot.clock import Clock, SystemClock
from bot.delivery.runtime import Delivery
from bot.dispatch import Dispatcher
from bot.i18n import Catalogs
from bot.protocol import MenuCommand
from bot.routing import Routes
from bot.services.roles import bootstrap_admins
from bot.settings import Settings
from storage import migrate, people
from storage.db import create_engine, session_factory, writer_queue
from storage.models import Role

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do."""


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalogs: Catalogs
    dispatcher: Dispatcher
    clock: Clock
    delivery: Delivery  # started by the engine that provides its transport

    async def close(self) -> None:
        await self.engine.dispose()

    def learn_bot_username(self, username: str) -> None:
        """The username a Telegram engine got from getMe, for every t.me link the bot writes
        (bot/links.py): the settings are shared by the dispatch and each handler's context."""
        if username != self.settings.bot_username:
            log.info("bot username: @%s", username)
        self.settings.bot_username = username

    async def menus_due(self) -> list[ChatMenu]:
        """The chat menus to set at start-up: each role-holder's, and the guest's for anyone
        whose chat had a menu of its own and who holds no role now; only those that differ
        from the menu last set there, so that a restart with nothing changed costs no call."""
        async with self.sessions() as session:
            found = await people.with_menus(session)
        due = []
        for person, roles in found:
            t = self.catalogs.for_person(person.locale, person.language_code)
            menu = ChatMenu(person.chat_id, self.dispatcher.menu(roles, t))
            if menu.digest != person.menu_digest:
                due.append(menu)
        return due

    async def menus_set(self, digests: dict[int, str]) -> None:
        """Remembers the menu now set in each chat, by its digest."""
        async with self.dispatcher.writers, self.sessions() as session, session.begin():
            await people.remember_menus(session, digests)


@dataclass(frozen=True)
class ChatMenu:
    """A chat's own command menu."""

    chat_id: int
    commands: list[MenuCommand]

    @property
    def digest(self) -> str:
        return menu_digest(self.commands)


def menu_digest(commands: list[MenuCommand]) -> str:
    """What tells two menus apart, in people.menu_digest's 32 characters."""
    listed = "\n".join(f"{c.command} {c.description}" for c in commands)
    return hashlib.sha256(listed.encode()).hexdigest()[:32]


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Connects, migrates, bootstraps the first secretariat, and wires the dispatcher."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, settings.sqlite_busy_timeout_ms)
    await prepare_database(engine)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        skipped = await bootstrap_admins(session, settings.admin_ids, clock.now())
    for telegram_id in skipped:
        log.warning(
            "ADMIN_IDS: %s not made secretariat: the role was revoked (grant it to restore)",
            telegram_id,
        )
    catalogs = Catalogs(settings.default_locale, settings.timezone)
    routes = Routes.build(handlers.features())
    _log_command_table(routes)
    writers = writer_queue(engine)  # one per process: updates and jobs queue on it alike
    dispatcher = Dispatcher(routes, sessions, catalogs, settings, clock, writers)
    delivery = Delivery(sessions, catalogs, settings, clock, writers)
    return App(settings, engine, sessions, catalogs, dispatcher, clock, delivery)


async def prepare_database(engine: AsyncEngine) -> None:
    """Applies pending migrations, or refuses to go on with a message that says what to do."""
    try:
        await migrate.upgrade(engine)
    except (SQLAlchemyError, OSError) as error:
        await engine.dispose()
        raise StartupError(
            f"Cannot prepare the database ({type(error).__name__}: {error}). "
            "Check DATABASE_URL and that the server is running, then run `python -m bot migrate`."
        ) from error


def _log_command_table(routes: Routes) -> None:
    for role in Role:
        names = " ".join(f"/{c.name}" for c in routes.menu_for(frozenset({role, Role.GUEST})))
        log.info("commands for %s: %s", role.value, names)
