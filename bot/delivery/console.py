"""The console's transport: prints what would be sent, so delivery can be tried offline."""

from __future__ import annotations

import itertools
import sys
from typing import TextIO

from bot.delivery.content import plain_text
from bot.protocol import Reply


class ConsoleTransport:
    """Writes each outbox message to the terminal, as `→ chat 42: text`."""

    def __init__(self, stdout: TextIO = sys.stdout) -> None:
        self.stdout = stdout
        self._ids = itertools.count(1)

    async def send(self, chat_id: int, reply: Reply) -> int:
        self._print(chat_id, reply, "")
        return next(self._ids)

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        self._print(chat_id, reply, f"(edits message {message_id}) ")

    async def delete(self, chat_id: int, message_id: int) -> None:
        print(f"→ chat {chat_id}: (deletes message {message_id})", file=self.stdout, flush=True)

    def _print(self, chat_id: int, reply: Reply, mark: str) -> None:
        mark += "[protected] " if reply.protect else ""
        lines = [f"→ chat {chat_id}: {mark}{plain_text(reply)}"]
        if reply.file is not None:
            lines.append(f"  [file: {reply.file.name}]")
        lines += [f"  [{b.label}]" for row in reply.buttons for b in row]
        print("\n".join(lines), file=self.stdout, flush=True)
