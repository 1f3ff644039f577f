"""/start and /help: a welcome and a command list that fit the person's roles; the charter."""

from __future__ import annotations

from pathlib import Path

from bot.context import Context
from bot.i18n import N_
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import ButtonAction, Command, DeepLink, Feature, button_data
from storage import outbox
from storage.models import Role

CHARTER = Path(__file__).resolve().parent.parent / "docs" / "charter-zh.txt"

GREETINGS = {
    Role.SECRETARIAT: N_("You are signed in as the secretariat."),
    Role.LEADERSHIP: N_("You hold a seat on the joint directors' meeting."),
    Role.EXPERT: N_("You are a member of the expert committee."),
    Role.CONTACT: N_("You are the contact person of a member unit."),
}


async def start(ctx: Context) -> Reply:
    """Greets the person for each role they hold and offers the charter; refreshes their menu."""
    ctx.menus_to_refresh.add(ctx.person.id)
    # Telegram's "Restart bot" after unblocking sends /start: the outbox may reach them again.
    await outbox.mark_reachable(ctx.session, ctx.person.chat_id)
    lines = [ctx.t("Welcome to the DTPC-NMI member bot (有色金属行业数字化转型推进中心).")]
    lines += [ctx.t(text) for role, text in GREETINGS.items() if role in ctx.roles]
    if ctx.roles == {Role.GUEST}:
        lines.append(ctx.t("Read the charter below to learn about the center."))
    lines.append(ctx.t("Send /help to see what you can do."))
    charter = Button(ctx.t("📄 The charter"), data=button_data("charter"))
    return Reply("\n".join(lines), buttons=((charter,),))


async def help_(ctx: Context) -> Reply:
    """Lists the commands this person's roles allow."""
    lines = [ctx.t("What you can do:")]
    lines += [f"/{c.name} — {ctx.t(c.description)}" for c in ctx.routes.menu_for(ctx.roles)]
    return Reply("\n".join(lines))


async def send_charter(ctx: Context) -> Reply:
    """Sends the charter, a public document, as a file."""
    return Reply(
        ctx.t("The charter of DTPC-NMI (draft, in Chinese)."),
        file=OutgoingFile(name="charter-zh.txt", content=CHARTER.read_bytes()),
    )


def setup() -> Feature:
    return Feature(
        commands=[
            Command("start", start, N_("Start, and see what this bot does for you")),
            Command("help", help_, N_("What you can do here")),
        ],
        buttons=[ButtonAction("charter", send_charter)],
        deep_links=[DeepLink("charter", send_charter)],
    )
