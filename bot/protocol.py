"""The bot's own small chat protocol: what comes in and what goes out, platform-free."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit on callback_data


@dataclass(frozen=True)
class Sender:
    """Who sent an update: the platform user, their chat, and their client's language."""

    user_id: int
    chat_id: int
    language_code: str | None = None
    display_name: str = ""

    @property
    def in_group(self) -> bool:
        """Whether the update came from a group chat: a private chat's id is the user's id,
        and Telegram's group ids are negative (an update with no user carries the chat's id
        twice)."""
        return self.chat_id != self.user_id or self.chat_id < 0


@dataclass(frozen=True)
class IncomingFile:
    """A file the user sent; `fetch` downloads its bytes from the platform when needed."""

    file_id: str
    name: str
    mime_type: str | None
    size: int | None
    fetch: Callable[[], Awaitable[bytes]] | None = None


@dataclass(frozen=True)
class Incoming:
    """One update: exactly one of command, text, button or file is set."""

    update_key: str
    sender: Sender
    command: str | None = None
    args: str = ""
    text: str | None = None
    button: str | None = None
    file: IncomingFile | None = None
    message_id: int | None = None  # the message the button sits on, for edits in place
    html: str | None = None  # the text (or caption) with its formatting, as Telegram HTML
    addressee: str | None = None  # the bot a command names in a group: /name@bot


@dataclass(frozen=True)
class Button:
    """A button: either short callback data or a link."""

    label: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has either data or a url")
        if self.data is not None and len(self.data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {self.data!r}")


@dataclass(frozen=True)
class OutgoingFile:
    """A file to send: its bytes, or a platform file id already uploaded."""

    name: str
    content: bytes | None = None
    file_id: str | None = None


Buttons = tuple[tuple[Button, ...], ...]  # rows of inline buttons


@dataclass(frozen=True)
class Reply:
    """A message to send, to the sender's chat unless `chat_id` says otherwise."""

    text: str
    buttons: Buttons = ()
    file: OutgoingFile | None = None
    protect: bool = False
    edit: bool = False  # replace the message the pressed button sits on
    chat_id: int | None = None
    html: bool = False  # `text` is Telegram HTML (formatting kept), not plain text
    # Must not be lost (a ballot receipt, an invitation link, an export, a document): it goes
    # through the outbox, in the update's transaction, and is retried until it is sent.
    durable: bool = False
    on_sent: OnSent | None = field(default=None, compare=False)  # recorded once it is sent

    def __post_init__(self) -> None:
        if self.on_sent is not None and not self.durable:
            raise ValueError("only a durable reply is confirmed")


@dataclass(frozen=True)
class OnSent:
    """What the outbox records once the platform confirmed a durable reply was sent:
    `kind` names the record (bot/delivery/confirmations.py), `data` its fields (JSON)."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class MenuCommand:
    command: str
    description: str


@dataclass
class Outcome:
    """What handling one update produced, for the engine to carry out."""

    replies: list[Reply] = field(default_factory=list)  # to the chat the update came from
    queued: list[Reply] = field(default_factory=list)  # to other chats: already in the outbox
    alert: str | None = None  # a notice on the pressed button, shown until dismissed
    toast: str | None = None  # a short answer on the pressed button that fades by itself
    menus: dict[int, list[MenuCommand]] = field(default_factory=dict)  # chat id -> menu
    duplicate: bool = False


def parse_command(text: str) -> tuple[str, str] | None:
    """`/name@bot args` -> ("name", "args"); None when the text is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return (name, args.strip()) if name else None


def command_addressee(text: str) -> str | None:
    """`/name@bot args` -> "bot"; None when the command names no bot."""
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    return head.partition("@")[2] or None
