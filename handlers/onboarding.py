"""/import (the roster from a spreadsheet), /invites (the links), and the invitation link."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.errors import StaleButton
from bot.i18n import N_
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import (
    LINK_TOKEN,
    ButtonAction,
    Command,
    DeepLink,
    Feature,
    Form,
    Id,
    Index,
    Rest,
    button_data,
    one_of,
)
from bot.services import imports, invitations, notify, roster_template
from bot.services.roster import to_csv, to_xlsx
from bot.services.roster_rows import row_from_data, row_to_data
from handlers.files import read_within
from storage import invitations as stored
from storage.models import Role, Unit
from storage.names import printed_name
from storage.onboarding_models import Invitation, InvitationKind

SECRETARIAT = frozenset({Role.SECRETARIAT})
FORM = "import"
REPORT_LINES = 30  # row lines in the chat; the full report goes along as a file
LISTED = 15
KINDS = {
    InvitationKind.CONTACT: N_("contact person"),
    InvitationKind.SEAT: N_("seat holder"),
    InvitationKind.EXPERT: N_("expert"),
}
STATES = {
    "pending": N_("waiting"),
    "used": N_("accepted"),
    "expired": N_("expired"),
    "revoked": N_("withdrawn"),
}
EXPORT_COLUMNS = (
    N_("Name"),
    N_("Role"),
    N_("Unit"),
    N_("Phone"),
    N_("E-mail"),
    N_("Invitation link"),
    N_("Valid until"),
)


# -- /import ------------------------------------------------------------------------------------


async def start_import(ctx: Context) -> Reply:
    """Opens the import form: the secretariat sends the filled-in template next."""
    await ctx.start_form(FORM, "file")
    text = ctx.t(
        "Send the roster as an XLSX or CSV file, one member unit per row, in the columns of "
        "the template below. You will see a report before anything is written. /cancel stops."
    )
    buttons = (
        (
            Button(ctx.t("Template (XLSX)"), button_data("im", "tpl", "xlsx")),
            Button(ctx.t("Template (CSV)"), button_data("im", "tpl", "csv")),
        ),
    )
    return Reply(text, buttons=buttons)


async def receive_file(ctx: Context) -> Reply | list[Reply]:
    """Reads and checks the file, shows what importing it would do, and asks to confirm."""
    file = ctx.incoming.file
    if file is None or file.fetch is None:
        return Reply(ctx.t("Please send the roster as a file (XLSX or CSV)."))
    content = await read_within(file, ctx.settings.max_upload_bytes)
    limits = imports.limits(ctx.settings)
    plan = await imports.plan_file(ctx.session, file.name, content, limits)
    rows = [row_to_data(row) for row in plan.accepted]
    await ctx.next_step("confirm", file=file.name, rows=rows)
    return _preview(ctx, plan)


def _preview(ctx: Context, plan: imports.Plan) -> Reply:
    lines = imports.report(ctx.t, plan, REPORT_LINES)
    full = imports.report(ctx.t, plan)
    attached = None
    if len(full) > len(lines) or len("\n".join(lines)) > 3500:
        attached = OutgoingFile("import-report.txt", "\n".join(full).encode())
        lines = [*lines[:1], ctx.t("The full report is in the attached file.")]
    if not plan.has_changes:
        lines.append(
            ctx.t("Importing this file would change nothing. Send another file, or /cancel.")
        )
        return Reply("\n".join(lines), file=attached)
    if plan.refused:
        question = ctx.t(
            "The refused rows would be left out. Correct them and send the file again, or "
            "import the accepted rows now; nothing is written until you press the button."
        )
        label = ctx.t("Import the {count} accepted rows").format(count=len(plan.accepted))
    else:
        question = ctx.t("Nothing is written until you press Import.")
        label = ctx.t("Import")
    lines.append(question)
    buttons = ((Button(label, button_data("im", "go")),),)
    return Reply("\n".join(lines), buttons=buttons, file=attached)


async def press_import(ctx: Context, action: str, kind: str = "") -> Reply | list[Reply]:
    if action == "tpl":
        name = roster_template.XLSX_NAME if kind == "xlsx" else roster_template.CSV_NAME
        text = ctx.t("Fill in the template and send it back here.")
        return Reply(text, file=OutgoingFile(name, roster_template.shipped(name)))
    ctx.require_step(FORM, "confirm")  # "go"
    return await _apply(ctx)


async def _apply(ctx: Context) -> Reply:
    """Applies the rows as the roster stands now, all in this update's transaction."""
    answers, now = ctx.answers, ctx.clock.now()
    rows = [row_from_data(data) for data in answers["rows"]]
    plan = await imports.plan_rows(ctx.session, answers["file"], rows)
    applied = await imports.apply(
        ctx.session, plan, ctx.person.id, now, _valid_for(ctx), ZoneInfo(ctx.settings.timezone)
    )
    await ctx.end_form()
    text = ctx.t(
        "Imported: {added} new units, {updated} updated; {invited} invitation links made. "
        "Send them to the people with /invites."
    ).format(added=applied.added, updated=applied.updated, invited=applied.invited)
    skipped = [ctx.t("Left out:"), *imports.report(ctx.t, plan)[1:]] if plan.refused else []
    return Reply("\n".join([text, *skipped]), edit=True)


async def expect_file(ctx: Context) -> Reply | list[Reply]:
    if ctx.incoming.file is not None:
        return await receive_file(ctx)
    return Reply(ctx.t("Send a corrected file, press the button above, or /cancel."))


# -- /invites -----------------------------------------------------------------------------------


async def list_invites(ctx: Context) -> Reply:
    """Counts, and the invitations not accepted yet (filtered by `/invites NAME`)."""
    now = ctx.clock.now()
    counts = await stored.counts(ctx.session, now)
    found = await stored.open_ones(ctx.session, ctx.incoming.args.strip(), LISTED + 1)
    lines = [
        ctx.t(
            "Invitations: {pending} waiting, {used} accepted, {expired} expired, "
            "{revoked} withdrawn."
        ).format(**counts)
    ]
    if not found:
        lines.append(ctx.t("No invitation is waiting to be accepted."))
    elif len(found) > LISTED:
        lines.append(
            ctx.t("The first {count} are shown; narrow with /invites NAME.").format(count=LISTED)
        )
    rows = [
        (Button(_title(ctx, invitation, unit), button_data("iv", "card", invitation.id)),)
        for invitation, unit in found[:LISTED]
    ]
    rows.append(
        (
            Button(ctx.t("Export XLSX"), button_data("iv", "xlsx")),
            Button(ctx.t("Export CSV"), button_data("iv", "csv")),
        )
    )
    return Reply("\n".join(lines), buttons=tuple(rows))


async def press_invite(ctx: Context, action: str, invitation_id: int = 0) -> Reply:
    """Card, link to pass on, withdraw, new link; each re-loads the invitation."""
    if action in ("xlsx", "csv"):
        return await _export(ctx, action)
    now, actor = ctx.clock.now(), ctx.person.id
    if action == "send":
        invitation = await invitations.mark_sent(ctx.session, invitation_id, actor, now)
        text = ctx.t("Forward this personal link to {name}; it works once.").format(
            name=invitation.name or "—"
        )
        return Reply(f"{text}\n{_link(ctx, invitation)}", durable=True)
    if action == "rev":
        await invitations.revoke(ctx.session, invitation_id, actor, now)
    elif action == "new":
        await invitations.regenerate(ctx.session, invitation_id, actor, now, _valid_for(ctx))
    return await _card(ctx, invitation_id)


async def _card(ctx: Context, invitation_id: int) -> Reply:
    invitation = await stored.get(ctx.session, invitation_id)
    if invitation is None:
        raise StaleButton()
    unit = await ctx.session.get(Unit, invitation.unit_id) if invitation.unit_id else None
    state = stored.state(invitation, ctx.clock.now())
    expires = invitations_time(ctx, invitation)
    lines = [
        _title(ctx, invitation, unit),
        ctx.t("Phone: {phone}; e-mail: {email}").format(
            phone=invitation.phone or "—", email=invitation.email or "—"
        ),
        ctx.t("State: {state}; valid until {time}").format(
            state=ctx.t(STATES[state]), time=expires
        ),
    ]
    buttons: list[tuple[Button, ...]] = []
    if state == "pending":
        lines.append(_link(ctx, invitation))
        buttons.append(
            (Button(ctx.t("Link to forward"), button_data("iv", "send", invitation.id)),)
        )
        buttons.append(
            (Button(ctx.t("Withdraw the link"), button_data("iv", "rev", invitation.id)),)
        )
    if state != "used":
        buttons.append(
            (Button(ctx.t("Make a new link"), button_data("iv", "new", invitation.id)),)
        )
    return Reply("\n".join(lines), buttons=tuple(buttons), edit=True)


async def _export(ctx: Context, kind: str) -> Reply:
    """The waiting links as a table, to send by e-mail or another messenger."""
    now = ctx.clock.now()
    table = []
    for invitation, unit in await stored.open_ones(ctx.session):
        if stored.state(invitation, now) == "pending":
            await invitations.mark_sent(ctx.session, invitation.id, ctx.person.id, now)
            table.append(
                [
                    invitation.name,
                    ctx.t(KINDS[invitation.kind]),
                    unit.name if unit else "",
                    invitation.phone,
                    invitation.email,
                    _link(ctx, invitation),
                    invitations_time(ctx, invitation),
                ]
            )
    header = [ctx.t(label) for label in EXPORT_COLUMNS]
    content = to_xlsx(header, table) if kind == "xlsx" else to_csv(header, table)
    text = ctx.t("{count} waiting invitation links.").format(count=len(table))
    file = OutgoingFile(f"invitations.{kind}", content)
    return Reply(text, file=file, protect=True, durable=True)


def _title(ctx: Context, invitation: Invitation, unit: Unit | None) -> str:
    name = invitation.name or ctx.t("(a new contact)")
    where = f" — {unit.name}" if unit else ""
    return f"{name} ({ctx.t(KINDS[invitation.kind])}){where}"


def _link(ctx: Context, invitation: Invitation) -> str:
    return invitations.link(ctx.settings.bot_username, invitation)


def invitations_time(ctx: Context, invitation: Invitation) -> str:
    zone = ZoneInfo(ctx.settings.timezone)
    return invitation.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _valid_for(ctx: Context) -> timedelta:
    return timedelta(days=ctx.settings.invitation_valid_days)


# -- the link -----------------------------------------------------------------------------------


async def open_link(ctx: Context, link_token: str) -> list[Reply]:
    """Binds this Telegram account to the invited person, with their roles and menu."""
    found = await invitations.accept(
        ctx.session,
        link_token,
        ctx.person,
        ctx.clock.now(),
        ZoneInfo(ctx.settings.timezone),
    )
    if isinstance(found, invitations.Refused):
        ask = Button(
            ctx.t("Ask the secretariat for a new link"),
            button_data("ivask", found.invitation_id or 0),
        )
        return [Reply(f"{ctx.t(found.message)}\n{ctx.t(ASK)}", buttons=((ask,),))]
    ctx.menus_to_refresh.add(ctx.person.id)
    invitation, unit = found.invitation, found.unit
    unit_name = unit.name if unit else ""
    welcome = ctx.t(WELCOME[invitation.kind]).format(unit=unit_name)
    news = notify.note(
        N_("{name} accepted the invitation as {role} of {unit}."),
        name=printed_name(invitation.name, ctx.person.display_name, ctx.person.telegram_id),
        role=notify.Msg(KINDS[invitation.kind]),
        unit=unit_name,
    )
    staff = await notify.secretariat(ctx.session)
    await notify.gather(ctx.session, ctx.catalogs, staff, news, ctx.clock.now())
    return [Reply(welcome)]


ASK = N_("Ask the secretariat for a new one with the button below.")
WELCOME = {
    InvitationKind.CONTACT: N_(
        "Welcome. You are now a contact person of {unit} (art. 14(8)). Send /help to see what "
        "you can do."
    ),
    InvitationKind.SEAT: N_(
        "Welcome. You now hold a seat of {unit} on the joint directors' meeting (art. 19). "
        "Send /meetings to see what is scheduled."
    ),
    InvitationKind.EXPERT: N_(
        "Welcome. You are now registered as a member of the expert committee (art. 21). "
        "Send /help to see what you can do."
    ),
}


async def ask_again(ctx: Context, invitation_id: int) -> Reply | list[Reply]:
    """Passes a request for a new link to the secretariat, naming the person who asks."""
    invitation = await stored.get(ctx.session, invitation_id) if invitation_id else None
    if invitation is not None and stored.state(invitation, ctx.clock.now()) == "pending":
        raise StaleButton()
    who = ctx.person.display_name or str(ctx.person.telegram_id)
    news = notify.note(
        N_(
            "{person} (Telegram ID {telegram_id}) asks for a new invitation link for {name}. "
            "See /invites."
        ),
        person=who,
        telegram_id=ctx.person.telegram_id,
        name=invitation.name if invitation else "?",
    )
    staff = await notify.secretariat(ctx.session)
    asker, now = ctx.incoming.sender.user_id, ctx.clock.now()
    if not await notify.may_notify(ctx.session, "ivask", asker, now):
        staff = []  # asked again within the hour: counted for the secretariat's digest
    done = Reply(ctx.t("Your request was sent to the secretariat."), edit=True)
    return [done, *notify.to_people(ctx.catalogs, staff, news)]


INVITE_BUTTONS = {"xlsx": (), "csv": ()} | dict.fromkeys(("card", "send", "rev", "new"), (Id,))


def setup() -> Feature:
    return Feature(
        commands=[
            Command(
                "import", start_import, N_("Import the roster from a spreadsheet"), SECRETARIAT
            ),
            Command("invites", list_invites, N_("Invitation links"), SECRETARIAT),
        ],
        buttons=[
            ButtonAction(
                "im", press_import, SECRETARIAT, args={"tpl": (one_of("xlsx", "csv"),), "go": ()}
            ),
            ButtonAction("iv", press_invite, SECRETARIAT, args=INVITE_BUTTONS),
            ButtonAction("ivask", ask_again, args=(Index,)),  # 0: the link named none
        ],
        forms=[Form(FORM, {"file": receive_file, "confirm": expect_file}, SECRETARIAT)],
        deep_links=[DeepLink(invitations.PREFIX, open_link, args=(Rest(LINK_TOKEN),))],
    )
