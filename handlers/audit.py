"""/audit (secretariat): the append-only record of actions (art. 17), optionally for one unit."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_
from bot.protocol import Reply
from bot.routing import Command, Feature
from bot.validation import typed
from storage import audit, units
from storage.models import Person, Role
from storage.names import printed_names

SECRETARIAT = frozenset({Role.SECRETARIAT})


async def show(ctx: Context) -> Reply:
    """The latest entries; `/audit CREDIT-CODE` for one unit."""
    subject = None
    if code := typed(ctx.incoming.args).upper():
        unit = await units.by_credit_code(ctx.session, code)
        if unit is None:
            return Reply(ctx.t("No unit has the credit code {code}.").format(code=code))
        subject = f"unit:{unit.id}"
    entries = await audit.recent(ctx.session, limit=30, subject=subject)
    if not entries:
        return Reply(ctx.t("The audit log has no entries here yet."))
    lines = [ctx.t("Audit log, newest first:")]
    actors = await _actor_names(ctx, {e.actor_id for e in entries if e.actor_id})
    the_bot = ctx.t("the bot")
    for entry in entries:
        who = actors.get(entry.actor_id or 0, the_bot)
        details = " ".join(f"{k}={v}" for k, v in entry.details.items())
        when = ctx.t.datetime(entry.at)
        lines.append(f"{when} {who}: {entry.action} {entry.subject} {details}".rstrip())
    return Reply("\n".join(lines))


async def _actor_names(ctx: Context, actor_ids: set[int]) -> dict[int, str]:
    """Who acted, by the roster's name (storage.names), each person loaded once."""
    actors = [await ctx.session.get(Person, actor_id) for actor_id in sorted(actor_ids)]
    return await printed_names(ctx.session, [a for a in actors if a is not None])


def setup() -> Feature:
    return Feature(commands=[Command("audit", show, N_("The audit log"), roles=SECRETARIAT)])
