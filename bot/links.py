"""The bot's own t.me links, written in one place.

A Telegram engine learns the bot's username from getMe at start (`App.learn_bot_username`);
the console has only BOT_USERNAME, and without it writes a placeholder: its links are read
in a terminal, never opened.
"""

from __future__ import annotations

CONSOLE_PLACEHOLDER = "bot"


def start_link(bot_username: str | None, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`: opening it sends `/start <payload>` to the bot."""
    return f"https://t.me/{bot_username or CONSOLE_PLACEHOLDER}?start={payload}"
