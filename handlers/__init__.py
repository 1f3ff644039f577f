"""Feature handlers. They speak the chat protocol and import no Telegram package."""

from __future__ import annotations

from bot.routing import Feature


def features() -> list[Feature]:
    """Every feature, in the order their commands appear in menus and /help."""
    from handlers import cancel, language, roles, welcome

    return [welcome.setup(), language.setup(), cancel.setup(), roles.setup()]
