"""/profile (contact): the unit's card; corrections; backup contacts by invitation (art. 14(8))."""

from __future__ import annotations

from bot import validation
from bot.context import Context
from bot.errors import StaleButton
from bot.i18n import N_
from bot.protocol import Button, Reply
from bot.routing import (
    LINK_TOKEN,
    ButtonAction,
    Command,
    DeepLink,
    Feature,
    Form,
    Rest,
    button_data,
    one_of,
)
from bot.services import contacts, notify, privacy
from handlers.unit_card import unit_card
from storage import audit, units
from storage.models import Role

CONTACTS = frozenset({Role.CONTACT})


async def show(ctx: Context) -> Reply:
    """The unit's data, status, tier, contacts and record, with what the contact can do."""
    found = await units.of_person(ctx.session, ctx.person.id)
    if found is None:
        return Reply(ctx.t("You are not the contact person of a member unit."))
    unit, contact = found
    rows = [(Button(ctx.t("Request a correction"), button_data("pf", "fix")),)]
    if contact.is_main:
        rows.append((Button(ctx.t("Invite a backup contact"), button_data("pf", "invite")),))
    viewer = await privacy.viewer(ctx.session, ctx.person.id, ctx.roles)
    card = await unit_card(ctx.session, ctx.t, unit, viewer)
    return Reply("\n".join(card), buttons=tuple(rows))


async def press(ctx: Context, action: str) -> Reply:
    found = await units.of_person(ctx.session, ctx.person.id)
    if found is None:
        raise StaleButton()
    unit, contact = found
    if action == "fix":
        await ctx.start_form("correction", "text", unit=unit.id)
        return Reply(ctx.t("What should be corrected? Send it in one message."))
    if action == "invite" and contact.is_main:
        invite = await contacts.create_invite(ctx.session, unit.id, ctx.person.id, ctx.clock.now())
        link = contacts.invite_link(ctx.settings.bot_username, invite.token)
        text = ctx.t("Send this one-time link to your backup contact (valid 14 days): {link}")
        return Reply(text.format(link=link), durable=True)
    raise StaleButton()


async def answer_correction(ctx: Context) -> list[Reply]:
    """Passes the correction request to the secretariat."""
    text = validation.short_text(ctx.incoming.text, 2000)
    unit = await units.get(ctx.session, ctx.answers["unit"])
    await ctx.end_form()
    if unit is None:
        raise StaleButton()
    await audit.record(
        ctx.session,
        ctx.clock.now(),
        ctx.person.id,
        "unit.correction",
        f"unit:{unit.id}",
        text=text,
    )
    news = notify.note(N_("{unit} asks for a correction: {text}"), unit=unit.name, text=text)
    staff = await notify.secretariat(ctx.session)
    return [Reply(ctx.t("Sent to the secretariat.")), *notify.to_people(ctx.catalogs, staff, news)]


async def accept_invite(ctx: Context, link_token: str) -> list[Reply]:
    """Opening an invitation link binds this account as a contact of the unit."""
    unit, contact = await contacts.accept_invite(
        ctx.session, link_token, ctx.person, ctx.clock.now()
    )
    ctx.menus_to_refresh.add(ctx.person.id)
    role = ctx.t("main contact") if contact.is_main else ctx.t("backup contact")
    text = ctx.t("You are now a {role} of {unit}. Send /help to see what you can do.")
    news = notify.note(
        N_("{name} is now a contact person of {unit}."), name=contact.name, unit=unit.name
    )
    others = [p for p in await notify.unit_contacts(ctx.session, unit.id) if p.id != ctx.person.id]
    return [
        Reply(text.format(role=role, unit=unit.name)),
        *notify.to_people(ctx.catalogs, others, news),
    ]


def setup() -> Feature:
    return Feature(
        commands=[Command("profile", show, N_("Your unit's profile"), roles=CONTACTS)],
        buttons=[ButtonAction("pf", press, roles=CONTACTS, args=(one_of("fix", "invite"),))],
        forms=[Form("correction", {"text": answer_correction}, roles=CONTACTS)],
        deep_links=[DeepLink(contacts.INVITE_PREFIX, accept_invite, args=(Rest(LINK_TOKEN),))],
    )
