"""The composition root: everything the bot needs, built at run time from settings."""

from __future__ import annotations

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

    async def role_menus(self) -> dict[int, list[MenuCommand]]:
        """Each role-holder's command menu, by chat, for the engine to set at start-up."""
        async with self.sessions() as session:
            holders = await people.with_roles(session, [r for r in Role if r is not Role.GUEST])
            return {
                person.chat_id: self.dispatcher.menu(
                    await people.roles_of(session, person.id),
                    self.catalogs.for_person(person.locale, person.language_code),
                )
                for person in holders
            }


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Connects, migrates, bootstraps the first secretariat, and wires the dispatcher."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, settings.sqlite_busy_timeout_ms)
    await prepare_database(engine)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await bootstrap_admins(session, settings.admin_ids, clock.now())
    catalogs = Catalogs(settings.default_locale, settings.timezone)
    routes = Routes.build(handlers.features())
    _log_command_table(routes)
    dispatcher = Dispatcher(routes, sessions, catalogs, settings, clock, writer_queue(engine))
    delivery = Delivery(sessions, catalogs, settings, clock)
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
