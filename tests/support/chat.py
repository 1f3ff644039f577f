"""An in-process chat client: `await alice.send("/start")`, `await alice.press("English")`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from bot.app import App
from bot.delivery.testing import deliver_queued
from bot.protocol import Incoming, IncomingFile, Outcome, Reply, Sender, parse_command

_update_ids = itertools.count(1)


@dataclass
class ChatClient:
    """One person talking to the dispatcher directly, as an engine would on their behalf."""

    app: App
    user_id: int
    language_code: str | None = "en"
    name: str = "Test User"
    last: Outcome = field(default_factory=Outcome)
    _buttons_message: Reply | None = None

    @property
    def sender(self) -> Sender:
        return Sender(self.user_id, self.user_id, self.language_code, self.name)

    @property
    def text(self) -> str:
        """All reply texts of the last outcome to this chat, joined."""
        return "\n".join(r.text for r in self.replies)

    @property
    def replies(self) -> list[Reply]:
        return [r for r in self.last.replies if r.chat_id in (None, self.user_id)]

    @property
    def labels(self) -> list[str]:
        """The labels of the buttons on the newest message that has buttons."""
        message = self._buttons_message
        return [b.label for row in message.buttons for b in row] if message else []

    async def send(self, text: str, update_key: str | None = None) -> Outcome:
        key = update_key or f"test:{next(_update_ids)}"
        if command := parse_command(text):
            incoming = Incoming(key, self.sender, command=command[0], args=command[1])
        else:
            incoming = Incoming(key, self.sender, text=text)
        return await self.deliver(incoming)

    async def send_file(self, name: str, content: bytes, mime: str | None = None) -> Outcome:
        async def fetch() -> bytes:
            return content

        file = IncomingFile(f"file:{name}", name, mime, len(content), fetch)
        return await self.deliver(Incoming(f"test:{next(_update_ids)}", self.sender, file=file))

    async def press(self, label: str) -> Outcome:
        """Presses the button labelled `label` on the newest message that has buttons."""
        return await self.press_data(self.button_data(label))

    async def press_data(self, data: str, update_key: str | None = None) -> Outcome:
        key = update_key or f"test:{next(_update_ids)}"
        return await self.deliver(Incoming(key, self.sender, button=data, message_id=1))

    def button_data(self, label: str) -> str:
        assert self._buttons_message is not None, "no message with buttons yet"
        for row in self._buttons_message.buttons:
            for button in row:
                if button.label == label and button.data is not None:
                    return button.data
        labels = [b.label for row in self._buttons_message.buttons for b in row]
        raise AssertionError(f"no button {label!r} among {labels}")

    def receive(self, outcome: Outcome) -> list[Reply]:
        """Takes the messages that someone else's update sent to this chat, as if they arrived."""
        mine = [r for r in outcome.replies if r.chat_id == self.user_id]
        self._remember(Outcome(replies=[replace(r, chat_id=None) for r in mine]))
        return mine

    async def deliver(self, incoming: Incoming) -> Outcome:
        outcome = await self.app.dispatcher.handle(incoming)
        if any(r.durable for r in outcome.queued):
            # An engine wakes the outbox worker, which sends them and records what a send
            # records (a document's access log line): so does the client, on the test clock.
            app = self.app
            await deliver_queued(app.sessions, app.settings, app.clock, app.catalogs)  # type: ignore[arg-type]
        return self._remember(outcome)

    def _remember(self, outcome: Outcome) -> Outcome:
        # What the update sent to other chats (queued in the outbox) is shown with the rest.
        replies = [*outcome.replies, *outcome.queued]
        self.last = outcome = replace(outcome, replies=replies, queued=[])
        for reply in self.replies:
            if reply.buttons:
                self._buttons_message = reply
        return outcome
