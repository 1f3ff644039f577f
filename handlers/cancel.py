"""/cancel: leaves whatever form the person is filling in."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_
from bot.protocol import Reply
from bot.routing import Command, Feature


async def cancel(ctx: Context) -> Reply:
    """Drops the form in progress, if any, and says so."""
    if await ctx.end_form():
        return Reply(ctx.t("Cancelled. Nothing was saved."))
    return Reply(ctx.t("There is nothing to cancel."))


def setup() -> Feature:
    return Feature(commands=[Command("cancel", cancel, N_("Leave the current form"))])
