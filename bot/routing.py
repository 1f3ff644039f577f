"""Routes: commands, button actions and forms, as each feature module declares them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.protocol import Reply
from storage.models import Role

if TYPE_CHECKING:
    from bot.context import Context

Replies = Reply | Sequence[Reply] | None
Handler = Callable[["Context"], Awaitable[Replies]]
ButtonHandler = Callable[["Context", list[str]], Awaitable[Replies]]

EVERYONE = frozenset({Role.GUEST})
BUTTON_SEPARATOR = ":"
DEEP_LINK_SEPARATOR = "_"  # payloads allow only [A-Za-z0-9_-]


@dataclass(frozen=True)
class Command:
    """A slash command, who may use it, and its line in the menu (a msgid)."""

    name: str
    handler: Handler
    description: str
    roles: frozenset[Role] = EVERYONE
    in_menu: bool = True


@dataclass(frozen=True)
class ButtonAction:
    """A button's short code and the handler that re-checks and applies it."""

    code: str
    handler: ButtonHandler
    roles: frozenset[Role] = EVERYONE


@dataclass(frozen=True)
class Form:
    """A multi-step form written as a table of states: step name -> handler of the answer."""

    name: str
    steps: Mapping[str, Handler]
    roles: frozenset[Role] = EVERYONE
    on_cancel: Callable[[Context], Awaitable[None]] | None = None  # drops what the form kept


@dataclass(frozen=True)
class DeepLink:
    """A `/start PAYLOAD` link (t.me/<bot>?start=PAYLOAD) whose payload begins with `prefix`."""

    prefix: str
    handler: ButtonHandler  # receives the rest of the payload, split like button data


@dataclass(frozen=True)
class Feature:
    """What one handlers module contributes."""

    commands: Sequence[Command] = ()
    buttons: Sequence[ButtonAction] = ()
    forms: Sequence[Form] = ()
    deep_links: Sequence[DeepLink] = ()


@dataclass
class Routes:
    """The route table, built from an ordered list of features."""

    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, ButtonAction] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    deep_links: dict[str, DeepLink] = field(default_factory=dict)

    @classmethod
    def build(cls, features: Iterable[Feature]) -> Routes:
        routes = cls()
        for feature in features:
            for table, items, key in (
                (routes.commands, feature.commands, "name"),
                (routes.buttons, feature.buttons, "code"),
                (routes.forms, feature.forms, "name"),
                (routes.deep_links, feature.deep_links, "prefix"),
            ):
                for item in items:
                    name = getattr(item, key)
                    if name in table:
                        raise ValueError(f"route {name!r} declared twice")
                    table[name] = item
        return routes

    def menu_for(self, roles: frozenset[Role]) -> list[Command]:
        return [c for c in self.commands.values() if c.in_menu and may_use(roles, c.roles)]


def may_use(roles: frozenset[Role], allowed: frozenset[Role]) -> bool:
    """Whether a person holding `roles` may use something open to `allowed`."""
    return Role.GUEST in allowed or bool(roles & allowed)


def button_data(code: str, *args: object) -> str:
    """Packs a button's code and ids; the ids are re-loaded and re-checked on press."""
    return BUTTON_SEPARATOR.join([code, *map(str, args)])


def parse_button(data: str) -> tuple[str, list[str]]:
    code, *args = data.split(BUTTON_SEPARATOR)
    return code, args
