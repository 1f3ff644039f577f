"""Routes: commands, button actions and forms, as each feature module declares them."""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.protocol import Reply
from storage.models import Role

if TYPE_CHECKING:
    from bot.context import Context

Replies = Reply | Sequence[Reply] | None
Handler = Callable[["Context"], Awaitable[Replies]]
ButtonHandler = Callable[..., Awaitable[Replies]]  # (ctx, *values parsed by its `args`)

EVERYONE = frozenset({Role.GUEST})
BUTTON_SEPARATOR = ":"
DEEP_LINK_SEPARATOR = "_"  # payloads allow only [A-Za-z0-9_-]
MAX_ID = 2**63 - 1  # a BIGINT; a larger number overflows the database driver

# -- the arguments of buttons and links, parsed once by the dispatch ---------------------------
# Button data and link payloads come from the client and may be forged: each action declares
# its arguments' types, and any part that does not parse makes the press a stale button.

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")  # str.isdigit() also accepts "²" and "١"


class Parser:
    """One part of the data -> its value, or ValueError if malformed. `example` is a valid
    part, for tests that build well-formed data and then spoil one part of it."""

    example: str

    def __call__(self, text: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class between(Parser):  # lower case: it reads as a type in a signature, (Id, between(1, 5))
    """A whole number written in ASCII digits, within [low, high]."""

    low: int
    high: int

    def __call__(self, text: str) -> int:
        if not _ASCII_DIGITS.fullmatch(text) or not self.low <= int(text) <= self.high:
            raise ValueError(text)
        return int(text)

    @property
    def example(self) -> str:  # type: ignore[override]
        return str(self.low)


Id = between(1, MAX_ID)  # a database id
Index = between(0, MAX_ID)  # a page, a position, an id or 0 for "none"


class one_of(Parser):
    """A literal word among `words` (a sub-action, a flag)."""

    def __init__(self, *words: str) -> None:
        self.words = frozenset(words)
        self.example = sorted(self.words)[0]

    def __repr__(self) -> str:
        return f"one_of{tuple(sorted(self.words))}"

    def __call__(self, text: str) -> str:
        if text not in self.words:
            raise ValueError(text)
        return text


class token(Parser):
    """A short string matching `pattern` whole (an invitation token, a code)."""

    def __init__(self, pattern: str, example: str) -> None:
        self.pattern = re.compile(pattern)
        self.example = example

    def __repr__(self) -> str:
        return f"token({self.pattern.pattern!r})"

    def __call__(self, text: str) -> str:
        if not self.pattern.fullmatch(text):
            raise ValueError(text)
        return text


LINK_TOKEN = token(r"[A-Za-z0-9_-]{1,64}", "t0ken")  # an invitation's secret in a link


@dataclass(frozen=True)
class Opt:
    """A trailing argument that may be left out; the handler then gets `default`."""

    parser: Parser | type[enum.Enum]
    default: Any = None


@dataclass(frozen=True)
class Rest:
    """The last argument: every remaining part joined again (tokens that hold the separator)."""

    parser: Parser


Spec = Parser | type[enum.Enum] | Opt | Rest
# A tuple of specs, one per part; or sub-actions: the first part picks the tuple for the rest,
# and the handler receives the sub-action's word first.
Signature = tuple[Spec, ...] | Mapping[str, tuple[Spec, ...]]


def parse_args(signature: Signature, parts: Sequence[str], separator: str) -> tuple[Any, ...]:
    """The typed values of `parts` as `signature` declares them; ValueError on any mismatch
    (wrong count, non-ASCII digit, out of range, unknown enum value or word)."""
    if isinstance(signature, Mapping):
        if not parts or parts[0] not in signature:
            raise ValueError("unknown sub-action")
        return (parts[0], *parse_args(signature[parts[0]], parts[1:], separator))
    values: list[Any] = []
    for position, spec in enumerate(signature):
        if isinstance(spec, Rest):
            if position != len(signature) - 1:
                raise TypeError("Rest must be the last argument")
            return (*values, _parse_one(spec.parser, separator.join(parts[position:])))
        if position >= len(parts):
            if not isinstance(spec, Opt):
                raise ValueError("too few parts")
            values.append(spec.default)
            continue
        values.append(_parse_one(spec.parser if isinstance(spec, Opt) else spec, parts[position]))
    if len(parts) > len(signature):
        raise ValueError("too many parts")
    return tuple(values)


def _parse_one(parser: Parser | type[enum.Enum], text: str) -> Any:
    """A parser's value, or an enum member by value: either raises ValueError."""
    return parser(text)


@dataclass(frozen=True)
class Command:
    """A slash command, who may use it, and its line in the menu (a msgid)."""

    name: str
    handler: Handler
    description: str
    roles: frozenset[Role] = EVERYONE
    in_menu: bool = True
    in_group: bool = False  # meant for a group chat too; elsewhere a group gets a pointer


@dataclass(frozen=True)
class ButtonAction:
    """A button's short code and the handler that re-checks and applies it."""

    code: str
    handler: ButtonHandler
    roles: frozenset[Role] = EVERYONE
    in_group: bool = False  # pressed on a post in a group chat; elsewhere refused there
    args: Signature = ()  # the types of the data's parts after the code


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
    handler: ButtonHandler  # receives the rest of the payload, split and parsed by `args`
    args: Signature = ()


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
