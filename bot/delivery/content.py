"""A `Reply` as outbox rows and back: text, buttons, file, protection."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

from bot.protocol import Button, OnSent, OutgoingFile, Reply
from storage.models import OutboxMessage

TAG = re.compile(r"</?[a-zA-Z][^>]*>")

CAPTION_LIMIT = 1024  # Telegram's limit on a file's caption, the tightest platform we serve


def plain_text(reply: Reply) -> str:
    """The text as a person reads it: Telegram HTML (a notice's formatting) without its tags,
    for the console, which has no formatting to render."""
    if not reply.html:
        return reply.text
    return html.unescape(TAG.sub("", reply.text))


def parts(reply: Reply) -> list[Reply]:
    """One message per send: a file whose text is too long for a caption goes as the text
    first, then the file with the buttons, so the pace counts each send."""
    if reply.file is None or len(reply.text) <= CAPTION_LIMIT:
        return [reply]
    # What is recorded once sent (a document's delivery) goes with the file.
    return [replace(reply, file=None, buttons=(), on_sent=None), replace(reply, text="")]


def columns(reply: Reply) -> dict[str, Any]:
    """The outbox columns that hold `reply` (its `chat_id` and `edit` do not apply)."""
    file = reply.file
    return {
        "text": reply.text,
        "buttons": [[_button(b) for b in row] for row in reply.buttons],
        "file_name": file.name if file else None,
        "file_content": file.content if file else None,
        "file_id": file.file_id if file else None,
        "protect": reply.protect,
        "parse_mode": "HTML" if reply.html else None,
        "on_sent": _on_sent(reply.on_sent),
    }


def reply_of(row: OutboxMessage) -> Reply:
    """The reply an outbox row holds, addressed to its chat."""
    file = None
    if row.file_name is not None:
        file = OutgoingFile(row.file_name, row.file_content, row.file_id)
    buttons = tuple(tuple(Button(**b) for b in line) for line in row.buttons)
    html = row.parse_mode == "HTML"
    return Reply(row.text, buttons, file, protect=row.protect, chat_id=row.chat_id, html=html)


def _on_sent(on_sent: OnSent | None) -> dict[str, Any] | None:
    return None if on_sent is None else {"kind": on_sent.kind, "data": on_sent.data}


def _button(button: Button) -> dict[str, str]:
    if button.url is not None:
        return {"label": button.label, "url": button.url}
    assert button.data is not None
    return {"label": button.label, "data": button.data}
