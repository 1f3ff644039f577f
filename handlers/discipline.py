"""/discipline (secretariat): warning, public criticism, suspension, expulsion (art. 15)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import validation
from bot.charter.membership import Discipline
from bot.context import Context
from bot.i18n import N_
from bot.labels import MEASURES
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, Form, Id, button_data
from bot.services import membership, notify, roster
from handlers.roster import departure_notices
from storage.models import Role, Unit

SECRETARIAT = frozenset({Role.SECRETARIAT})
FORM = "discipline"


async def choose_unit(ctx: Context) -> Reply:
    """`/discipline NAME-OR-CODE`: the matching units on the roster, as buttons."""
    if not ctx.incoming.args:
        return Reply(ctx.t("Usage: /discipline UNIT NAME OR CREDIT CODE"))
    found = await roster.find(ctx.session, roster.parse_query(ctx.incoming.args))
    found = [u for u in found if u.left_on is None][:10]
    if not found:
        return Reply(ctx.t("No unit on the roster matches."))
    rows = tuple((Button(u.name[:60], button_data("dc", "unit", u.id)),) for u in found)
    return Reply(ctx.t("Which unit?"), buttons=rows)


async def press(
    ctx: Context, action: str, unit_id: int = 0, measure: Discipline | None = None
) -> Reply | list[Reply]:
    """Unit chosen → measure chosen (then the reason is asked) → confirmed."""
    if action == "unit":
        unit = await membership.member_unit(ctx.session, unit_id)
        return _measures(ctx, unit)
    if action == "m" and measure is not None:
        unit = await membership.member_unit(ctx.session, unit_id)
        await ctx.start_form(FORM, "reason", unit=unit.id, measure=measure.value)
        return Reply(ctx.t("Send the reason; the unit will read it."))
    ctx.require_step(FORM, "confirm")  # "ok"
    return await _apply(ctx)


async def answer_reason(ctx: Context) -> Reply:
    """Keeps the reason and asks for confirmation."""
    reason = validation.short_text(ctx.incoming.text, 1000)
    await ctx.next_step("confirm", reason=reason)
    unit = await membership.member_unit(ctx.session, ctx.answers["unit"])
    measure = ctx.t(MEASURES[Discipline(ctx.answers["measure"])])
    text = ctx.t("Record this measure for {unit}: {measure}. Reason: {reason}. Confirm?").format(
        measure=measure, unit=unit.name, reason=reason
    )
    return Reply(text, buttons=((Button(ctx.t("Confirm"), button_data("dc", "ok")),),))


async def expect_button(ctx: Context) -> Reply:
    return Reply(ctx.t("Please choose one of the buttons above, or /cancel."))


async def _apply(ctx: Context) -> list[Reply]:
    """Records the measure; tells the unit, the leadership, and for criticism all members."""
    answers, now = ctx.answers, ctx.clock.now()
    measure = Discipline(answers["measure"])
    await ctx.end_form()
    outcome = await membership.discipline(
        ctx.session,
        answers["unit"],
        measure,
        answers["reason"],
        ctx.person.id,
        now,
        ZoneInfo(ctx.settings.timezone),
    )
    unit = outcome.unit if isinstance(outcome, membership.Departure) else outcome
    params = {
        "unit": unit.name,
        "measure": notify.Msg(MEASURES[measure]),
        "reason": answers["reason"],
    }
    to_unit = notify.note(
        N_("The secretariat has decided this measure for {unit}: {measure}. Reason: {reason}"),
        **params,
    )
    filed = notify.note(
        N_("For the joint meeting's record: {measure} for {unit}. Reason: {reason}"), **params
    )
    replies = [Reply(ctx.t("Recorded."), edit=True)]
    replies += notify.to_people(
        ctx.catalogs, await notify.unit_contacts(ctx.session, unit.id), to_unit
    )
    replies += notify.to_people(ctx.catalogs, await notify.leadership(ctx.session), filed)
    if measure is Discipline.CRITICISM:
        public = notify.note(N_("Public criticism of {unit}: {reason}"), **params)
        replies += notify.to_people(ctx.catalogs, await notify.members(ctx.session), public)
    if isinstance(outcome, membership.Departure):
        replies += notify.to_people(ctx.catalogs, outcome.former_contacts, to_unit)
        replies += await departure_notices(ctx, outcome)
    return replies


def _measures(ctx: Context, unit: Unit) -> Reply:
    rows = tuple(
        (Button(ctx.t(label), button_data("dc", "m", unit.id, measure.value)),)
        for measure, label in MEASURES.items()
    )
    return Reply(ctx.t("Which measure for {unit}?").format(unit=unit.name), buttons=rows)


BUTTONS = {"unit": (Id,), "m": (Id, Discipline), "ok": ()}


def setup() -> Feature:
    return Feature(
        commands=[
            Command(
                "discipline", choose_unit, N_("Record a disciplinary measure"), roles=SECRETARIAT
            )
        ],
        buttons=[ButtonAction("dc", press, roles=SECRETARIAT, args=BUTTONS)],
        forms=[Form(FORM, {"reason": answer_reason, "confirm": expect_button}, roles=SECRETARIAT)],
    )
