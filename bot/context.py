"""What a handler receives: the update, the person as the database knows them now, tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import StaleButton
from bot.i18n import Catalogs, Translator
from bot.protocol import Incoming
from bot.routing import Routes
from bot.settings import Settings
from storage import conversations
from storage.models import Conversation, Person, Role


@dataclass
class Context:
    """One update's world. Roles are loaded from the database for this update, never cached."""

    incoming: Incoming
    session: AsyncSession
    person: Person
    roles: frozenset[Role]
    t: Translator
    clock: Clock
    settings: Settings
    catalogs: Catalogs
    routes: Routes
    conversation: Conversation | None = None
    menus_to_refresh: set[int] = field(default_factory=set)  # person ids

    def translator_for(self, person: Person) -> Translator:
        return self.catalogs.for_person(person.locale, person.language_code)

    async def start_form(self, form: str, step: str, **data: Any) -> None:
        await self._save(form, step, data)

    async def next_step(self, step: str, **data: Any) -> None:
        """Moves the current form to `step`, merging `data` into the answers so far."""
        assert self.conversation is not None, "next_step outside a form"
        await self._save(self.conversation.form, step, {**self.conversation.data, **data})

    async def end_form(self) -> bool:
        self.conversation = None
        return await conversations.clear(self.session, self.person.id)

    def require_step(self, form: str, *steps: str) -> None:
        """Refuses a button that belongs to a form step the person is no longer at."""
        conversation = self.conversation
        if conversation is None or conversation.form != form or conversation.step not in steps:
            raise StaleButton()

    def in_form(self, form: str) -> bool:
        return self.conversation is not None and self.conversation.form == form

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.conversation.data) if self.conversation else {}

    async def _save(self, form: str, step: str, data: dict[str, Any]) -> None:
        now = self.clock.now()
        await conversations.save(self.session, self.person.id, form, step, data, now)
        self.conversation = await conversations.load(self.session, self.person.id)
