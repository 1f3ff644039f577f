"""/roster (secretariat): search units, open a unit's card, set tiers, manage contacts, export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot.charter.membership import DEPARTED
from bot.clock import local_date
from bot.context import Context
from bot.errors import StaleButton
from bot.i18n import N_
from bot.labels import STATUSES, TIERS
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import ButtonAction, Command, Feature, Id, between, button_data
from bot.services import announcements, contacts, membership, notify, privacy, roster
from handlers.unit_card import unit_card
from storage import units
from storage.models import Role, Unit, UnitStatus, UnitTier

SECRETARIAT = frozenset({Role.SECRETARIAT})
LISTED = 10  # units with a button; up to 50 more are listed as text
Rows = tuple[tuple[Button, ...], ...]


async def search(ctx: Context) -> Reply:
    """Lists the units matching the search line, with buttons to open them and to export."""
    found = await roster.find(ctx.session, roster.parse_query(ctx.incoming.args))
    head = ctx.t.nt("{count} unit found.", "{count} units found.", len(found))
    lines = [head.format(count=len(found))]
    lines += [f"{u.name} — {u.credit_code} — {ctx.t(STATUSES[u.status])}" for u in found[:50]]
    lines.append(ctx.t("Search: /roster TEXT status:member tier:director sector:smelting"))
    rows = [(Button(u.name[:60], button_data("ro", "card", u.id)),) for u in found[:LISTED]]
    exports = (
        Button(ctx.t("Export XLSX"), button_data("ro", "xlsx", 0)),
        Button(ctx.t("Export CSV"), button_data("ro", "csv", 0)),
    )
    return Reply("\n".join(lines), buttons=(*rows, exports))


async def press(ctx: Context, action: str, ident: int, *rest: Any) -> Reply | list[Reply]:
    """The roster's buttons; every id is re-loaded from the database."""
    return await ACTIONS[action](ctx, ident, list(rest))


async def show_card(ctx: Context, unit_id: int, _rest: list[str]) -> Reply:
    """Shows the unit's card with what the secretariat can do about it."""
    unit = await units.get(ctx.session, unit_id)
    if unit is None:
        raise StaleButton()
    viewer = await privacy.viewer(ctx.session, ctx.person.id, ctx.roles)
    lines = await unit_card(ctx.session, ctx.t, unit, viewer)
    return Reply("\n".join(lines), buttons=await _card_buttons(ctx, unit))


async def export(ctx: Context, _unit_id: int, rest: list[str], kind: str = "xlsx") -> Reply:
    """Sends the whole roster as a spreadsheet, in the reader's language."""
    found = await roster.find(ctx.session, roster.RosterQuery())
    viewer = await privacy.viewer(ctx.session, ctx.person.id, ctx.roles)
    table = await roster.rows(ctx.session, found, ctx.t, viewer)
    header = roster.headers(ctx.t)
    content = roster.to_xlsx(header, table) if kind == "xlsx" else roster.to_csv(header, table)
    day = local_date(ctx.clock.now(), ZoneInfo(ctx.settings.timezone))
    name = f"roster-{day.isoformat()}.{kind}"
    caption = ctx.t.nt("Roster: {count} unit.", "Roster: {count} units.", len(found))
    file = OutgoingFile(name=name, content=content)
    return Reply(caption.format(count=len(found)), file=file, protect=True, durable=True)


async def export_csv(ctx: Context, unit_id: int, rest: list[str]) -> Reply:
    return await export(ctx, unit_id, rest, kind="csv")


async def set_tier(ctx: Context, unit_id: int, rest: list[str]) -> list[Reply]:
    """Art. 12: records the tier with today's date and announces it to members (art. 17)."""
    tier = UnitTier(rest[0])
    now, zone = ctx.clock.now(), ZoneInfo(ctx.settings.timezone)
    unit = await membership.set_tier(ctx.session, unit_id, tier, ctx.person.id, now, zone)
    news = notify.note(
        N_("Roster change: {unit} is now a {tier}."), unit=unit.name, tier=notify.Msg(TIERS[tier])
    )
    members = await notify.members(ctx.session)
    return [await show_card(ctx, unit_id, []), *notify.to_people(ctx.catalogs, members, news)]


async def lift(ctx: Context, unit_id: int, _rest: list[str]) -> list[Reply]:
    """Art. 15: the suspension ends; the unit's contacts are told."""
    unit = await membership.lift_suspension(ctx.session, unit_id, ctx.person.id, ctx.clock.now())
    news = notify.note(
        N_("The suspension of {unit}'s member rights has been lifted."), unit=unit.name
    )
    told = notify.to_people(ctx.catalogs, await notify.unit_contacts(ctx.session, unit.id), news)
    return [await show_card(ctx, unit_id, []), *told]


async def invite(ctx: Context, unit_id: int, _rest: list[str]) -> Reply:
    """A one-time link for a new main contact; the present one becomes a backup when it is used."""
    link = await contacts.create_invite(
        ctx.session, unit_id, ctx.person.id, ctx.clock.now(), as_main=True
    )
    return Reply(_invite_text(ctx, link.token), durable=True)


async def ask_licence(ctx: Context, unit_id: int, _rest: list[str]) -> Reply:
    """Asks the secretariat to confirm: a revoked licence ends membership at once (art. 16(3))."""
    unit = await membership.member_unit(ctx.session, unit_id)
    text = ctx.t(
        "Record that {unit}'s business licence was revoked? Its membership ends at once "
        "(art. 16(3)) and it may not rejoin (art. 16(6))."
    ).format(unit=unit.name)
    confirm = Button(ctx.t("Yes, record it"), button_data("ro", "licok", unit_id))
    return Reply(text, buttons=((confirm,),))


async def revoke_licence(ctx: Context, unit_id: int, _rest: list[str]) -> list[Reply]:
    now, zone = ctx.clock.now(), ZoneInfo(ctx.settings.timezone)
    departure = await membership.revoke_licence(ctx.session, unit_id, ctx.person.id, now, zone)
    return [Reply(ctx.t("Recorded."), edit=True), *await departure_notices(ctx, departure)]


async def make_main(ctx: Context, contact_id: int, _rest: list[str]) -> Reply:
    contact = await contacts.make_main(ctx.session, contact_id, ctx.person.id, ctx.clock.now())
    return await show_card(ctx, contact.unit_id, [])


async def remove_contact(ctx: Context, contact_id: int, _rest: list[str]) -> Reply:
    """Removes a backup contact; they lose the contact role at once."""
    contact = await contacts.remove_contact(
        ctx.session, contact_id, ctx.person.id, ctx.clock.now()
    )
    if contact.person_id is not None:
        ctx.menus_to_refresh.add(contact.person_id)
    return await show_card(ctx, contact.unit_id, [])


async def departure_notices(ctx: Context, leaving: membership.Departure) -> list[Reply]:
    """Tells everyone concerned; the former contacts' menus lose the member commands."""
    ctx.menus_to_refresh.update(person.id for person in leaving.former_contacts)
    return await announcements.departure(ctx.session, ctx.catalogs, leaving)


def _invite_text(ctx: Context, token: str) -> str:
    link = contacts.invite_link(ctx.settings.bot_username, token)
    return ctx.t(
        "Send this one-time link to the new contact person (valid 14 days): {link}"
    ).format(link=link)


async def _card_buttons(ctx: Context, unit: Unit) -> Rows:
    if unit.status in DEPARTED:
        return ()
    rows = [
        (
            Button(
                ctx.t("Change tier to {tier}").format(tier=ctx.t(TIERS[tier])),
                button_data("ro", "tier", unit.id, tier.value),
            ),
        )
        for tier in UnitTier
        if tier != unit.tier
    ]
    if unit.status is UnitStatus.SUSPENDED:
        rows.append((Button(ctx.t("Lift the suspension"), button_data("ro", "lift", unit.id)),))
    for contact in await units.contacts_of(ctx.session, unit.id):
        if not contact.is_main and contact.person_id is not None:
            label = ctx.t("Make {name} the main contact").format(name=contact.name)
            remove = ctx.t("Remove {name}").format(name=contact.name)
            rows.append(
                (
                    Button(label[:64], button_data("ro", "main", contact.id)),
                    Button(remove[:64], button_data("ro", "rm", contact.id)),
                )
            )
    rows += [
        (Button(ctx.t("Discipline…"), button_data("dc", "unit", unit.id)),),
        (Button(ctx.t("Invite a new main contact"), button_data("ro", "invite", unit.id)),),
        (Button(ctx.t("Licence revoked…"), button_data("ro", "licence", unit.id)),),
    ]
    return tuple(rows)


ACTIONS: dict[str, Callable[[Context, int, list[str]], Awaitable[Reply | list[Reply]]]] = {
    "card": show_card,
    "xlsx": export,
    "csv": export_csv,
    "tier": set_tier,
    "lift": lift,
    "invite": invite,
    "licence": ask_licence,
    "licok": revoke_licence,
    "main": make_main,
    "rm": remove_contact,
}

BUTTONS = {action: (Id,) for action in ACTIONS} | {
    "xlsx": (between(0, 0),),  # the whole roster: no unit
    "csv": (between(0, 0),),
    "tier": (Id, UnitTier),
}


def setup() -> Feature:
    return Feature(
        commands=[Command("roster", search, N_("The roster of member units"), roles=SECRETARIAT)],
        buttons=[ButtonAction("ro", press, roles=SECRETARIAT, args=BUTTONS)],
    )
