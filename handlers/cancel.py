"""/cancel: leaves whatever form the person is filling in."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_
from bot.protocol import Reply
from bot.routing import Command, Feature


async def cancel(ctx: Context) -> Reply:
    """Drops the form in progress and whatever it kept, if any, and says so."""
    form = ctx.routes.forms.get(ctx.conversation.form) if ctx.conversation else None
    if form is not None and form.on_cancel is not None:
        await form.on_cancel(ctx)
    if await ctx.end_form():
        return Reply(ctx.t("Cancelled. Nothing was saved."))
    return Reply(ctx.t("There is nothing to cancel."))


def setup() -> Feature:
    return Feature(commands=[Command("cancel", cancel, N_("Leave the current form"))])
