"""/seats (secretariat): who each director and deputy-director unit names to the joint
meeting (art. 19); a seat holder gets the leadership role and menu, and loses both with it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import validation
from bot.context import Context
from bot.i18n import N_
from bot.labels import TIERS, aside
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, Form, Id, button_data
from bot.services import notify, roles, seats
from storage.meetings_models import Seat
from storage.models import Person, Role, Unit

SECRETARIAT = frozenset({Role.SECRETARIAT})
FORM = "seat"
SEATED = N_(
    "You now hold a seat on the joint directors' meeting for {unit} (art. 19). "
    "Send /meetings to see its meetings."
)
UNSEATED = N_("Your seat on the joint directors' meeting for {unit} has ended.")


async def show(ctx: Context) -> list[Reply]:
    """Lists the units with their seat holders, with buttons to add, replace or remove one."""
    ended = await seats.reconcile(ctx.session, ctx.clock.now())
    return [await _board(ctx), *await _tell_ended(ctx, ended)]


async def press(ctx: Context, action: str, ident: int) -> Reply | list[Reply]:
    """Add (asks for the person), replace (asks for the new one) or remove a seat holder."""
    if action == "rm":
        return await _remove(ctx, ident)
    target = "unit" if action == "add" else "seat"
    await ctx.start_form(FORM, "person", **{target: ident})
    return Reply(ctx.t("Send the Telegram ID of the person (a number). /cancel to stop."))


async def answer_person(ctx: Context) -> Reply:
    """Keeps the Telegram ID and asks for the person's full name as the record shows it."""
    telegram_id = roles.parse_telegram_id(ctx.incoming.text or "")
    await ctx.next_step("name", telegram_id=telegram_id)
    return Reply(ctx.t("Their full name, as the meeting's record should show it?"))


async def answer_name(ctx: Context) -> list[Reply]:
    """Records the seat (or the replacement); the new holder is told and gets the menu."""
    name, answers = validation.short_text(ctx.incoming.text, 64), ctx.answers
    await ctx.end_form()
    now, zone = ctx.clock.now(), ZoneInfo(ctx.settings.timezone)
    told: list[Reply] = []
    if "seat" in answers:
        old, former, seat, person = await seats.replace_seat(
            ctx.session, answers["seat"], answers["telegram_id"], name, ctx.person.id, now, zone
        )
        told = await _tell_ended(ctx, [(old, former)])
    else:
        seat, person = await seats.add_seat(
            ctx.session, answers["unit"], answers["telegram_id"], name, ctx.person.id, now, zone
        )
    ctx.menus_to_refresh.add(person.id)
    unit = await ctx.session.get(Unit, seat.unit_id)
    welcome = notify.note(SEATED, unit=unit.name if unit else "")
    recorded = Reply(
        ctx.t("Recorded: {name} holds a seat for {unit}.").format(
            name=name, unit=unit.name if unit else ""
        )
    )
    return [recorded, *notify.to_people(ctx.catalogs, [person], welcome), *told, await _board(ctx)]


async def _remove(ctx: Context, seat_id: int) -> list[Reply]:
    seat, person = await seats.end_seat(
        ctx.session, seat_id, "removed", ctx.person.id, ctx.clock.now()
    )
    return [*await _tell_ended(ctx, [(seat, person)]), await _board(ctx, edit=True)]


async def _tell_ended(ctx: Context, ended: list[tuple[Seat, Person]]) -> list[Reply]:
    """The former holders are told, and their menus lose the leadership commands."""
    replies = []
    for seat, person in ended:
        ctx.menus_to_refresh.add(person.id)
        unit = await ctx.session.get(Unit, seat.unit_id)
        note = notify.note(UNSEATED, unit=unit.name if unit else "")
        replies += notify.to_people(ctx.catalogs, [person], note)
    return replies


async def _board(ctx: Context, edit: bool = False) -> Reply:
    board = await seats.board(ctx.session)
    if not board:
        text = ctx.t("No director or deputy-director units yet. Set a unit's tier in /roster.")
        return Reply(text, edit=edit)
    lines, rows = [ctx.t("Seats on the joint directors' meeting (art. 19):")], []
    for entry in board:
        lines.append(_unit_line(ctx, entry))
        lines += [f"  • {aside(ctx.t, seat.name, p.telegram_id)}" for seat, p in entry.seats]
        rows += _unit_buttons(ctx, entry)
    return Reply("\n".join(lines), buttons=tuple(rows), edit=edit)


def _unit_line(ctx: Context, entry: seats.UnitSeats) -> str:
    return ctx.t("{unit} ({tier}): {count} of {allowed}").format(
        unit=entry.unit.name,
        tier=ctx.t(TIERS[entry.unit.tier]),
        count=len(entry.seats),
        allowed=entry.allowed,
    )


def _unit_buttons(ctx: Context, entry: seats.UnitSeats) -> list[tuple[Button, ...]]:
    rows = []
    for seat, _person in entry.seats:
        replace = ctx.t("Replace {name}").format(name=seat.name)
        remove = ctx.t("Remove {name}").format(name=seat.name)
        rows.append(
            (
                Button(replace[:64], button_data("st", "rep", seat.id)),
                Button(remove[:64], button_data("st", "rm", seat.id)),
            )
        )
    if len(entry.seats) < entry.allowed:
        add = ctx.t("Add a seat holder for {unit}").format(unit=entry.unit.name)
        rows.append((Button(add[:64], button_data("st", "add", entry.unit.id)),))
    return rows


def setup() -> Feature:
    return Feature(
        commands=[
            Command("seats", show, N_("Seats on the joint directors' meeting"), roles=SECRETARIAT)
        ],
        buttons=[
            ButtonAction(
                "st", press, roles=SECRETARIAT, args=dict.fromkeys(("add", "rep", "rm"), (Id,))
            )
        ],
        forms=[
            Form(FORM, {"person": answer_person, "name": answer_name}, roles=SECRETARIAT),
        ],
    )
