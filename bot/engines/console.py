"""The console engine: chat with the bot in a terminal, as any role, with no network."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.delivery.console import ConsoleTransport
from bot.delivery.content import plain_text
from bot.protocol import Button, Incoming, IncomingFile, Outcome, Reply, Sender, parse_command
from bot.services.roles import grant_role
from storage import outbox
from storage.models import Role

SETTLE_STEP = 0.05  # seconds
CONSOLE_USER_IDS = {role: 1000 + index for index, role in enumerate(Role)}
BANNER = (
    "DTPC-NMI bot console — you are {role} (user {user_id}). Type a command (/start, /help),\n"
    "text for forms, a number to press a button, `/file PATH` to send a file, Ctrl-D to quit."
)


class ConsoleEngine:
    """Reads lines as one user, prints every reply; other chats' messages are shown too."""

    def __init__(
        self,
        app: App,
        role: Role,
        user_id: int | None = None,
        language_code: str | None = None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.app = app
        self.role = role
        self.user_id = user_id or CONSOLE_USER_IDS[role]
        self.sender = Sender(self.user_id, self.user_id, language_code, f"console {role.value}")
        self.stdin, self.stdout = stdin, stdout
        self.buttons: list[Button] = []
        self.message_id = 0

    async def run(self) -> None:
        """Chats until end of input; the outbox prints what it would send to others meanwhile."""
        await self._take_role()
        self._print(BANNER.format(role=self.role.value, user_id=self.user_id))
        await self.app.delivery.start(ConsoleTransport(self.stdout))
        try:
            await self._chat()
            await self._settle()
        finally:
            await self.app.delivery.stop()

    async def _settle(self, seconds: float = 5.0) -> None:
        """At the end of input, gives the outbox a moment to print what is still queued."""
        for _ in range(int(seconds / SETTLE_STEP)):
            async with self.app.sessions() as session:
                if not (await outbox.counts(session)).open:
                    return
            self.app.delivery.wake()
            await asyncio.sleep(SETTLE_STEP)

    async def _chat(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.stdin.isatty():
                self._print("> ", end="")
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                return
            incoming = self._parse(line.strip())
            if incoming is not None:
                outcome = await self.app.dispatcher.handle(incoming)
                self._show(outcome)
                if outcome.queued:
                    self.app.delivery.wake()

    async def _take_role(self) -> None:
        if self.role is Role.GUEST:
            return
        async with self.app.sessions() as session, session.begin():
            await grant_role(session, None, self.user_id, self.role, self.app.clock.now())

    def _parse(self, line: str) -> Incoming | None:
        if not line:
            return None
        key = f"console:{uuid.uuid4().hex}"
        # ASCII digits only: str.isdigit() also passes "²", which int() refuses
        if (
            line.isascii()
            and line.isdigit()
            and self.buttons
            and 1 <= int(line) <= len(self.buttons)
        ):
            button = self.buttons[int(line) - 1]
            if button.url:
                self._print(f"(link) {button.url}")
                return None
            return Incoming(key, self.sender, button=button.data, message_id=self.message_id)
        if line.startswith("/file "):
            return self._file(key, Path(line[len("/file ") :].strip()).expanduser())
        if command := parse_command(line):
            return Incoming(key, self.sender, command=command[0], args=command[1])
        return Incoming(key, self.sender, text=line)

    def _file(self, key: str, path: Path) -> Incoming | None:
        if not path.is_file():
            self._print(f"(no such file: {path})")
            return None
        content = path.read_bytes()

        async def fetch() -> bytes:
            return content

        file = IncomingFile(f"console:{path}", path.name, None, len(content), fetch)
        return Incoming(key, self.sender, file=file)

    def _show(self, outcome: Outcome) -> None:
        if outcome.alert:
            self._print(f"(!) {outcome.alert}")
        if outcome.toast:
            self._print(f"(i) {outcome.toast}")
        for reply in outcome.replies:
            self._show_reply(reply)
        for chat_id, menu in outcome.menus.items():
            self._print(f"[menu of {chat_id}: {' '.join('/' + c.command for c in menu)}]")

    def _show_reply(self, reply: Reply) -> None:
        """A reply to this chat; messages to others come through the outbox's transport."""
        marks = "(edited) " if reply.edit else ""
        marks += "[protected] " if reply.protect else ""
        self._print(f"{marks}{plain_text(reply)}")
        if reply.file is not None:
            size = len(reply.file.content) if reply.file.content is not None else "?"
            self._print(f"  [file: {reply.file.name}, {size} bytes]")
        if reply.buttons:
            self.message_id += 1
            self.buttons = [button for row in reply.buttons for button in row]
            for number, button in enumerate(self.buttons, 1):
                self._print(f"  [{number}] {button.label}")

    def _print(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=self.stdout, flush=True)
