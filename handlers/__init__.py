"""Feature handlers. They speak the chat protocol and import no Telegram package."""

from __future__ import annotations

from bot.routing import Feature


def features() -> list[Feature]:
    """Every feature, in the order their commands appear in menus and /help."""
    from handlers import (
        audit,
        cancel,
        discipline,
        documents,
        events,
        join,
        language,
        meetings,
        mydata,
        notices,
        onboarding,
        profile,
        projects,
        review,
        roles,
        roster,
        seats,
        welcome,
        withdraw,
    )

    return [
        welcome.setup(),
        language.setup(),
        cancel.setup(),
        join.setup(),
        profile.setup(),
        events.setup(),
        documents.setup(),
        meetings.setup(),
        notices.setup(),
        projects.setup(),
        withdraw.setup(),
        mydata.setup(),  # last of a member's commands in the menu
        review.setup(),
        roster.setup(),
        seats.setup(),
        discipline.setup(),
        audit.setup(),
        roles.setup(),
        onboarding.setup(),
    ]
