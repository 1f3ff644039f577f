"""/withdraw (contact): written notice of withdrawal, effective thirty days later (art. 16(1))."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import StaleButton
from bot.i18n import N_
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, button_data, one_of
from bot.services import membership, notify
from storage import membership as stored
from storage import units
from storage.models import Role, UnitStatus

CONTACTS = frozenset({Role.CONTACT})


async def start(ctx: Context) -> Reply:
    """Explains what withdrawing means and asks to confirm, or offers to take a notice back."""
    found = await units.of_person(ctx.session, ctx.person.id)
    if found is None:
        return Reply(ctx.t("You are not the contact person of a member unit."))
    unit = found[0]
    if unit.status is UnitStatus.WITHDRAWING:
        pending = await stored.pending_withdrawal(ctx.session, unit.id)
        day = ctx.t.date(pending.effective_on) if pending else "?"
        text = ctx.t("{unit} leaves the center on {day}. You may take the notice back until then.")
        back = Button(ctx.t("Take the notice back"), button_data("wd", "back"))
        return Reply(text.format(unit=unit.name, day=day), buttons=((back,),))
    if unit.status is not UnitStatus.MEMBER:
        return Reply(ctx.t("Only a member unit in good standing can give notice of withdrawal."))
    text = ctx.t(
        "File a written notice of withdrawal for {unit} with the secretariat? The membership "
        "ends 30 days after the notice (art. 16(1)); the unit's rights and duties end with it "
        "(art. 16(5)), and it may not apply to join again (art. 16(6))."
    )
    go = Button(ctx.t("Yes, give notice"), button_data("wd", "go"))
    return Reply(text.format(unit=unit.name), buttons=((go,),))


async def press(ctx: Context, action: str) -> list[Reply]:
    """Gives or takes back the notice, for the person's unit as the database says now."""
    found = await units.of_person(ctx.session, ctx.person.id)
    if found is None:
        raise StaleButton()
    unit, now = found[0], ctx.clock.now()
    staff = await notify.secretariat(ctx.session)
    if action == "go":
        zone = ZoneInfo(ctx.settings.timezone)
        withdrawal = await membership.request_withdrawal(
            ctx.session, unit.id, ctx.person.id, now, zone
        )
        text = ctx.t("Notice recorded. {unit} leaves the center on {day}.").format(
            unit=unit.name, day=ctx.t.date(withdrawal.effective_on)
        )
        news = notify.note(
            N_("{unit} has given notice of withdrawal, effective {day}."),
            unit=unit.name,
            day=withdrawal.effective_on,
        )
        return [Reply(text, edit=True), *notify.to_people(ctx.catalogs, staff, news)]
    await membership.take_back_withdrawal(ctx.session, unit.id, ctx.person.id, now)
    news = notify.note(N_("{unit} has taken back its notice of withdrawal."), unit=unit.name)
    done = Reply(
        ctx.t("The notice is taken back; {unit} stays a member.").format(unit=unit.name), edit=True
    )
    return [done, *notify.to_people(ctx.catalogs, staff, news)]


def setup() -> Feature:
    return Feature(
        commands=[
            Command("withdraw", start, N_("Withdraw your unit from the center"), roles=CONTACTS)
        ],
        buttons=[ButtonAction("wd", press, roles=CONTACTS, args=(one_of("go", "back"),))],
    )
