"""/grant and /revoke (secretariat): give or take a role; the person's menu follows at once."""

from __future__ import annotations

from bot.context import Context
from bot.errors import StaleButton
from bot.i18n import N_
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, Form, button_data, one_of
from bot.services import roles
from storage.models import Person, Role

SECRETARIAT = frozenset({Role.SECRETARIAT})
ROLE_NAMES = {
    Role.CONTACT: N_("contact person"),
    Role.SECRETARIAT: N_("secretariat"),
    Role.LEADERSHIP: N_("joint meeting seat"),
    Role.EXPERT: N_("expert committee"),
}


async def grant(ctx: Context) -> Reply:
    """With `ID ROLE` grants at once; without, asks for the person's Telegram ID."""
    args = ctx.incoming.args.split()
    if len(args) == 2:
        return await _grant(ctx, roles.parse_telegram_id(args[0]), roles.parse_role(args[1]))
    await ctx.start_form("grant", "person")
    return Reply(ctx.t("Send the Telegram ID of the person (a number). /cancel to stop."))


async def ask_role(ctx: Context) -> Reply:
    """Stores the Telegram ID and asks which role to grant."""
    if ctx.incoming.text is None:
        return Reply(ctx.t("Please send the Telegram ID as a number."))
    telegram_id = roles.parse_telegram_id(ctx.incoming.text)
    await ctx.next_step("role", telegram_id=telegram_id)
    buttons = tuple(
        (Button(ctx.t(ROLE_NAMES[role]), data=button_data("grant", role.value)),)
        for role in roles.GRANTABLE
    )
    return Reply(ctx.t("Which role for {id}?").format(id=telegram_id), buttons=buttons)


async def expect_button(ctx: Context) -> Reply:
    """Text where a role button was expected: asks again."""
    return Reply(ctx.t("Please choose one of the buttons above, or /cancel."))


async def choose_role(ctx: Context, role: str) -> Reply:
    """Grants the pressed role, if the grant form is still at that step."""
    conversation = ctx.conversation
    if conversation is None or (conversation.form, conversation.step) != ("grant", "role"):
        raise StaleButton()
    telegram_id = int(conversation.data["telegram_id"])
    await ctx.end_form()
    return await _grant(ctx, telegram_id, Role(role))


async def revoke(ctx: Context) -> Reply:
    """`/revoke ID ROLE`: takes the role away."""
    args = ctx.incoming.args.split()
    if len(args) != 2:
        return Reply(ctx.t("Usage: /revoke TELEGRAM_ID ROLE"))
    telegram_id, role = roles.parse_telegram_id(args[0]), roles.parse_role(args[1])
    now = ctx.clock.now()
    person, revoked = await roles.revoke_role(ctx.session, ctx.person.id, telegram_id, role, now)
    if person is None or not revoked:
        return Reply(ctx.t("{id} does not hold that role.").format(id=telegram_id))
    ctx.menus_to_refresh.add(person.id)
    return Reply(
        ctx.t("Role “{role}” removed from {id}.").format(
            role=ctx.t(ROLE_NAMES[role]), id=telegram_id
        )
    )


async def _grant(ctx: Context, telegram_id: int, role: Role) -> list[Reply]:
    now = ctx.clock.now()
    person, granted = await roles.grant_role(ctx.session, ctx.person.id, telegram_id, role, now)
    role_name = ctx.t(ROLE_NAMES[role])
    if not granted:
        return [
            Reply(
                ctx.t("{id} already holds the role “{role}”.").format(
                    id=telegram_id, role=role_name
                )
            )
        ]
    ctx.menus_to_refresh.add(person.id)
    return [
        Reply(ctx.t("Role “{role}” granted to {id}.").format(role=role_name, id=telegram_id)),
        _tell_grantee(ctx, person, role),
    ]


def _tell_grantee(ctx: Context, person: Person, role: Role) -> Reply:
    t = ctx.translator_for(person)
    text = t("You have been given the role “{role}”. Send /help to see what you can do now.")
    return Reply(text.format(role=t(ROLE_NAMES[role])), chat_id=person.chat_id)


def setup() -> Feature:
    return Feature(
        commands=[
            Command("grant", grant, N_("Give a person a role"), roles=SECRETARIAT),
            Command("revoke", revoke, N_("Take a role away"), roles=SECRETARIAT),
        ],
        buttons=[
            ButtonAction("grant", choose_role, SECRETARIAT, args=(one_of(*roles.GRANTABLE),))
        ],
        forms=[Form("grant", {"person": ask_role, "role": expect_button}, roles=SECRETARIAT)],
    )
